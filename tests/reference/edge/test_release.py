import hashlib
import math
from typing import Any

import pytest

from readiness.errors import IntegrityFailed
from reference.edge.release import Release, canary_rows
from tests.reference.edge.support import KeyPair

REFUSED = "^the signature does not verify under the pinned key$"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def release(release_keys: KeyPair) -> Release:
    """A release as the cloud signs it (the files it names need not exist to sign it)."""
    unsigned = Release(
        model="adult-income", version="3", sha256=sha256(b"model"), size=5,
        reference_sha256=sha256(b"reference"), canary_rows=[{"age": 39.0, "workclass": None}],
        canary_answers=[0.25], released_at=1_700_000_000.0,
    )  # fmt: skip
    return unsigned.signed(release_keys.private)


def test_a_signed_release_verifies_under_its_public_key(
    release: Release, release_keys: KeyPair
) -> None:
    assert release.signature
    release.verify(release_keys.public)


def test_a_release_survives_its_json_form_still_verifying(
    release: Release, release_keys: KeyPair
) -> None:
    Release.model_validate_json(release.model_dump_json()).verify(release_keys.public)


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param({"version": "4"}, id="another version"),
        pytest.param({"sha256": sha256(b"another model")}, id="another model file"),
        pytest.param({"size": 6}, id="another size"),
        pytest.param({"reference_sha256": sha256(b"other")}, id="another monitor reference"),
        pytest.param({"canary_answers": [0.75]}, id="another canary answer"),
        pytest.param({"canary_rows": [{"age": 40.0, "workclass": None}]}, id="another canary row"),
        pytest.param({"model": "another-model"}, id="another model name"),
        pytest.param({"released_at": 1_700_000_001.0}, id="another release time"),
    ],
)
def test_a_release_changed_after_signing_is_refused(
    release: Release, release_keys: KeyPair, changed: dict[str, Any]
) -> None:
    with pytest.raises(IntegrityFailed, match=REFUSED):
        release.model_copy(update=changed).verify(release_keys.public)


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param("", id="an unsigned release"),
        pytest.param("not base64 at all!", id="a signature that is not base64"),
        pytest.param("AAAA", id="a signature of the wrong length"),
    ],
)
def test_a_release_without_a_valid_signature_is_refused(
    release: Release, release_keys: KeyPair, signature: str
) -> None:
    with pytest.raises(IntegrityFailed, match=REFUSED):
        release.model_copy(update={"signature": signature}).verify(release_keys.public)


def test_a_release_signed_by_another_key_is_refused(
    release: Release, release_keys: KeyPair, other_keys: KeyPair
) -> None:
    with pytest.raises(IntegrityFailed, match=REFUSED):
        release.signed(other_keys.private).verify(release_keys.public)


def test_the_signature_is_not_part_of_what_it_signs(
    release: Release, release_keys: KeyPair
) -> None:
    assert release.payload() == release.model_copy(update={"signature": ""}).payload()
    assert b"signature" not in release.payload()


def test_canary_rows_carry_a_missing_number_as_null() -> None:
    assert canary_rows([{"age": math.nan, "workclass": "Private", "fnlwgt": 1.0}]) == [
        {"age": None, "workclass": "Private", "fnlwgt": 1.0}
    ]


def test_object_names_put_each_release_s_files_apart(release: Release) -> None:
    assert release.object_names() == (
        f"adult-income/3/{release.sha256[:12]}/model.onnx",
        f"adult-income/3/{release.sha256[:12]}/reference.json",
    )
