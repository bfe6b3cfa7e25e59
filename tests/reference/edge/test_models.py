"""The device's model store with real releases of the session's trained model: ONNX
Runtime loads them, and the canaries are the releaser's."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import onnx
import pytest

from readiness.errors import IntegrityFailed, ModelRefused
from readiness.home import Home
from reference.edge.models import ModelStore
from reference.edge.release import Release
from reference.edge.releaser import build_release, canaries
from reference.platform.model.artifacts import fetch_version
from reference.platform.model.lifecycle import TrainingSummary
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.schema import FeatureSchema
from reference.platform.model.served import SERVED_MODEL
from reference.platform.monitoring.reference_store import RegistryReferences
from tests.reference.edge.support import KeyPair


@dataclass(frozen=True)
class Offered:
    """A release with the files it came with, as a device receives them."""

    release: Release
    model: bytes
    reference: bytes

    def install(self, store: ModelStore) -> None:
        store.install(self.release, self.model, self.reference)


@dataclass(frozen=True)
class Built:
    first: Offered
    second: Offered
    """Another build of the same model (other bytes, the same answers), one version up."""


@pytest.fixture(scope="module")
def built(
    trained: tuple[Home, TrainingSummary],
    tmp_path_factory: pytest.TempPathFactory,
    schema: FeatureSchema,
    release_keys: KeyPair,
) -> Built:
    home, summary = trained
    registry = ModelRegistry(f"sqlite:///{home.mlflow_db}")
    version = summary.registry.registered_version
    folder = tmp_path_factory.mktemp("edge-release")
    artifact = fetch_version(registry, SERVED_MODEL, version, folder / "models")
    reference = RegistryReferences(registry, folder / "references").reference(SERVED_MODEL, version)
    assert reference is not None
    reference_bytes = reference.model_dump_json().encode()
    rows = canaries(schema)

    def offered(path: Path, version: str) -> Offered:
        model = path.read_bytes()
        release = build_release(model, path, reference_bytes, SERVED_MODEL, version, rows, schema,
                                release_keys.private)  # fmt: skip
        return Offered(release, model, reference_bytes)

    rebuilt = onnx.load(str(artifact.path))
    rebuilt.doc_string = "the same graph, built again"
    second_path = folder / "second.onnx"
    onnx.save(rebuilt, str(second_path))
    return Built(offered(artifact.path, version), offered(second_path, str(int(version) + 1)))


@pytest.fixture
def open_store(
    tmp_path: Path, schema: FeatureSchema, release_keys: KeyPair
) -> Callable[[], ModelStore]:
    """Opens the device's store (again): what a restart of the device does."""
    return lambda: ModelStore(tmp_path / "models", schema, release_keys.public)


@pytest.fixture
def store(open_store: Callable[[], ModelStore]) -> ModelStore:
    return open_store()


def serving_version(store: ModelStore) -> str | None:
    installed = store.serving()
    return installed.version if installed is not None else None


def stored(store: ModelStore) -> list[str]:
    """What lies in the store's folder, apart from its state: versions and leftovers."""
    found = [p.name for p in store.versions.iterdir()]
    found += [p.name for p in store.folder.iterdir() if p.name not in ("versions", "state.json")]
    return sorted(found)


def test_a_verified_release_installs_activates_and_serves_after_the_store_is_reopened(
    built: Built, store: ModelStore, open_store: Callable[[], ModelStore]
) -> None:
    first = built.first.release
    installed = store.install(first, built.first.model, built.first.reference)
    assert store.serving() is None  # installing alone changes nothing that serves
    store.activate(installed)

    reopened = open_store()
    served = reopened.serving()
    assert served is not None
    assert (served.version, served.release) == (first.version, first)
    assert reopened.is_current(first)
    assert reopened.state().refused == {}


def test_a_stored_version_answers_as_the_cloud_did_on_the_canaries(
    built: Built, store: ModelStore
) -> None:
    installed = store.install(built.first.release, built.first.model, built.first.reference)
    numeric, categorical = store.encoder.encode(installed.release.canary_rows)
    answers = installed.model.predict(numeric, categorical)
    assert answers.tolist() == pytest.approx(installed.release.canary_answers, abs=1e-6)


def changed_model(built: Built, keys: KeyPair) -> Offered:
    model = bytearray(built.first.model)
    model[len(model) // 2] ^= 0xFF
    return Offered(built.first.release, bytes(model), built.first.reference)


def changed_reference(built: Built, keys: KeyPair) -> Offered:
    return Offered(built.first.release, built.first.model, built.first.reference + b" ")


def unsigned(built: Built, keys: KeyPair) -> Offered:
    release = built.first.release.model_copy(update={"signature": ""})
    return Offered(release, built.first.model, built.first.reference)


def signed_by_another_key(built: Built, keys: KeyPair) -> Offered:
    return Offered(built.first.release.signed(keys.private), built.first.model,
                   built.first.reference)  # fmt: skip


def another_version_claimed(built: Built, keys: KeyPair) -> Offered:
    release = built.first.release.model_copy(update={"version": "99"})
    return Offered(release, built.first.model, built.first.reference)


@pytest.mark.parametrize(
    ("offer", "message"),
    [
        pytest.param(changed_model,
                     "the model file does not match the sha256 of its signed release",
                     id="model bytes changed"),
        pytest.param(changed_reference,
                     "the monitor reference does not match the sha256 of its signed release",
                     id="monitor reference changed"),
        pytest.param(unsigned, "the signature does not verify under the pinned key",
                     id="unsigned"),
        pytest.param(signed_by_another_key, "the signature does not verify under the pinned key",
                     id="signed by another key"),
        pytest.param(another_version_claimed,
                     "the signature does not verify under the pinned key",
                     id="version changed after signing"),
    ],
)  # fmt: skip
def test_a_release_that_does_not_verify_is_refused_and_leaves_nothing_stored(
    built: Built,
    store: ModelStore,
    other_keys: KeyPair,
    offer: Callable[[Built, KeyPair], Offered],
    message: str,
) -> None:
    offered = offer(built, other_keys)
    with pytest.raises(IntegrityFailed, match=f"^{re.escape(message)}$"):
        offered.install(store)
    assert stored(store) == []
    assert store.state().current is None
    assert store.serving() is None


def test_a_release_damaged_on_the_way_is_refused_but_its_genuine_copy_still_installs(
    built: Built, store: ModelStore, other_keys: KeyPair
) -> None:
    """Bytes damaged in transit say nothing against the model the signed manifest names."""
    with pytest.raises(IntegrityFailed):
        changed_model(built, other_keys).install(store)
    assert not store.is_refused(built.first.release)
    installed = store.install(built.first.release, built.first.model, built.first.reference)
    assert installed.version == built.first.release.version


def test_an_unverified_manifest_does_not_get_the_model_it_names_refused(
    built: Built, store: ModelStore, other_keys: KeyPair
) -> None:
    """Whoever can write to the channel can publish an unsigned manifest naming the sha256
    of a genuine release; that must not keep the genuine release off the device."""
    for offer in (unsigned, signed_by_another_key):
        with pytest.raises(IntegrityFailed):
            offer(built, other_keys).install(store)
    assert not store.is_refused(built.first.release)


@pytest.fixture
def wrong_answers(built: Built, release_keys: KeyPair) -> Offered:
    """The second build, signed with the right key, but with every canary answer 1 - p: a
    model that answers differently on the device than in the cloud."""
    release = built.second.release
    flipped = [1.0 - p for p in release.canary_answers]
    resigned = release.model_copy(update={"canary_answers": flipped}).signed(release_keys.private)
    return Offered(resigned, built.second.model, built.second.reference)


def test_a_release_that_answers_the_canaries_wrongly_is_refused_and_nothing_changes_what_serves(
    built: Built, store: ModelStore, wrong_answers: Offered
) -> None:
    store.activate(store.install(built.first.release, built.first.model, built.first.reference))
    before = store.state()

    with pytest.raises(
        ModelRefused,
        match=rf"^version {wrong_answers.release.version} answers "
        r"the canaries \d\.\d{3} away from the cloud's \(tolerance 0\.02\)$",
    ):
        wrong_answers.install(store)  # fmt: skip

    assert serving_version(store) == built.first.release.version
    after = store.state()
    assert (after.current, after.last_good) == (before.current, before.last_good)
    assert set(after.refused) == {wrong_answers.release.sha256}


def test_a_release_refused_on_its_canaries_leaves_no_version_behind(
    built: Built, store: ModelStore, wrong_answers: Offered
) -> None:
    """Verified before it is renamed into `versions/`, says the store: so the release of the
    same version with the right answers installs once it is published."""
    with pytest.raises(ModelRefused):
        wrong_answers.install(store)
    assert stored(store) == []
    built.second.install(store)


def test_a_leftover_incoming_folder_is_removed_when_the_store_opens(
    built: Built, store: ModelStore, open_store: Callable[[], ModelStore]
) -> None:
    store.activate(store.install(built.first.release, built.first.model, built.first.reference))
    leftover = store.folder / "incoming-0badf00d"
    leftover.mkdir()
    (leftover / "model.onnx").write_bytes(built.second.model[:100])  # a write cut short

    reopened = open_store()
    assert not leftover.exists()
    assert serving_version(reopened) == built.first.release.version


def test_rolling_back_a_second_version_serves_the_first_again_and_refuses_the_second(
    built: Built, store: ModelStore, open_store: Callable[[], ModelStore]
) -> None:
    first = store.install(built.first.release, built.first.model, built.first.reference)
    store.activate(first)
    second = store.install(built.second.release, built.second.model, built.second.reference)
    store.activate(second)
    assert serving_version(store) == second.version

    back = store.roll_back("degraded on probation: p99 over budget")

    assert back is not None
    assert back.key == first.key
    reopened = open_store()
    assert serving_version(reopened) == first.version
    assert reopened.state().refused == {
        second.release.sha256: "degraded on probation: p99 over budget"
    }
    assert reopened.is_refused(second.release)
    assert not reopened.is_refused(first.release)


def test_the_first_version_ever_activated_has_nothing_to_roll_back_to(
    built: Built, store: ModelStore
) -> None:
    store.activate(store.install(built.first.release, built.first.model, built.first.reference))
    assert store.roll_back("degraded") is None
    assert store.state().current is None


def test_confirm_makes_the_current_version_the_last_good(built: Built, store: ModelStore) -> None:
    first = store.install(built.first.release, built.first.model, built.first.reference)
    store.activate(first)
    second = store.install(built.second.release, built.second.model, built.second.reference)
    store.activate(second)
    assert store.state().last_good == first.key

    store.confirm()

    assert (store.state().current, store.state().last_good) == (second.key, second.key)
