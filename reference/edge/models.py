"""The device's model store: verified releases on disk, which one serves, which one was last
good, and which were refused.

A release is written into a fresh folder, flushed to disk, verified (signature under the
pinned key, each file's sha256, the canary smoke test) and only then renamed into
`versions/`: a rename is atomic, so no reader ever sees half a model, and a crash mid-write
leaves only an `incoming-*` folder that the next start removes. Which version serves is one
small state file replaced atomically (write, fsync, rename), so after a power cut the device
serves either the old model or the new one, never neither. Refused sha256s are kept, so a
bad release is not fetched again and again while it stays published.
"""

import hashlib
import hmac
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict

from readiness.errors import IntegrityFailed, ModelRefused
from reference.edge.release import CANARY_TOLERANCE, Release
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import FeatureSchema, RecordEncoder
from reference.platform.monitoring.training_reference import MonitorReference

MODEL_FILE, REFERENCE_FILE, RELEASE_FILE = "model.onnx", "reference.json", "release.json"
KEEP_VERSIONS = 3


class StoreState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current: str | None = None
    last_good: str | None = None
    refused: dict[str, str] = {}
    """sha256 -> why it was refused or rolled back."""


@dataclass(frozen=True)
class Installed:
    """A verified release on disk, loaded into ONNX Runtime."""

    key: str
    release: Release
    model: OnnxModel
    reference: MonitorReference

    @property
    def version(self) -> str:
        return self.release.version


class ModelStore:
    def __init__(
        self,
        folder: Path,
        schema: FeatureSchema,
        public_key: Ed25519PublicKey,
        threads: int = 1,
        prefer_gpu: bool = False,
    ) -> None:
        self.folder, self.public_key, self.threads = folder, public_key, threads
        self.prefer_gpu = prefer_gpu
        self.encoder = RecordEncoder(schema)
        self.versions = folder / "versions"
        self.versions.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob("incoming-*"):  # a write a crash interrupted
            shutil.rmtree(leftover, ignore_errors=True)

    # -- state ------------------------------------------------------------------------------
    def state(self) -> StoreState:
        path = self.folder / "state.json"
        return StoreState.model_validate_json(path.read_text()) if path.exists() else StoreState()

    def _save(self, state: StoreState) -> None:
        _write_atomically(self.folder / "state.json", state.model_dump_json(indent=2).encode())

    def is_refused(self, release: Release) -> bool:
        return release.sha256 in self.state().refused

    def is_current(self, release: Release) -> bool:
        current = self.state().current
        return current is not None and current == _key(release)

    # -- install ----------------------------------------------------------------------------
    def install(self, release: Release, model: bytes, reference: bytes) -> Installed:
        """Verify and store a release, and load it; nothing changes what serves. Raises
        IntegrityFailed (the manifest or the files are not what the release pipeline
        signed: nothing is remembered against the model it names, since an unverified
        manifest may name anything) or ModelRefused (a genuine model that fails on this
        device: remembered, so it is not fetched again)."""
        release.verify(self.public_key)
        _check_hash(model, release.sha256, "the model file")
        _check_hash(reference, release.reference_sha256, "the monitor reference")
        final = self.versions / _key(release)
        created = not final.exists()
        if created:
            incoming = self.folder / f"incoming-{uuid.uuid4().hex[:8]}"
            incoming.mkdir()
            files = {MODEL_FILE: model, REFERENCE_FILE: reference,
                     RELEASE_FILE: release.model_dump_json().encode()}  # fmt: skip
            for name, content in files.items():
                _write_synced(incoming / name, content)
            os.rename(incoming, final)
            _sync_folder(self.versions)
        try:
            return self.load(_key(release))
        except ModelRefused as refused:
            if created:  # a later, genuine copy of this version must be written afresh
                shutil.rmtree(final, ignore_errors=True)
            self.refuse(release.sha256, str(refused))
            raise

    def load(self, key: str) -> Installed:
        """A stored version, loaded and smoke-tested; ModelRefused if it fails."""
        folder = self.versions / key
        release = Release.model_validate_json((folder / RELEASE_FILE).read_text())
        _check_hash((folder / MODEL_FILE).read_bytes(), release.sha256, "the stored model")
        try:
            model = OnnxModel(folder / MODEL_FILE, threads=self.threads, prefer_gpu=self.prefer_gpu)
        except Exception as error:  # ONNX Runtime refuses the graph: the release is broken
            raise ModelRefused(f"version {release.version} does not load: {error}") from error
        reference = MonitorReference.model_validate(
            json.loads((folder / REFERENCE_FILE).read_text())
        )
        self._smoke_test(release, model)
        return Installed(key, release, model, reference)

    def _smoke_test(self, release: Release, model: OnnxModel) -> None:
        numeric, categorical = self.encoder.encode(release.canary_rows)
        try:
            answers = model.predict(numeric, categorical)
        except Exception as error:
            raise ModelRefused(
                f"version {release.version} fails on the canaries: {error}"
            ) from error
        expected = np.asarray(release.canary_answers, dtype=np.float64)
        if answers.shape != expected.shape or not np.all(np.isfinite(answers)):
            raise ModelRefused(f"version {release.version} gives no valid answer on the canaries")
        off = float(np.max(np.abs(answers - expected)))
        if off > CANARY_TOLERANCE:
            raise ModelRefused(f"version {release.version} answers the canaries {off:.3f} away "
                               f"from the cloud's (tolerance {CANARY_TOLERANCE})")  # fmt: skip

    # -- what serves ------------------------------------------------------------------------
    def activate(self, installed: Installed) -> None:
        """Make `installed` the version that serves after a restart too; the previous one
        stays the last good until `confirm`."""
        state = self.state()
        if state.current is not None and state.current != installed.key and state.last_good is None:
            state.last_good = state.current
        state.current = installed.key
        self._save(state)
        self._prune(state)

    def confirm(self) -> None:
        """The current version passed its probation: it is the one to fall back to now."""
        state = self.state()
        state.last_good = state.current
        self._save(state)

    def roll_back(self, reason: str) -> Installed | None:
        """Refuse the current version and serve the last good one again (None: no other)."""
        state = self.state()
        current = state.current
        if current is not None:
            sha = Release.model_validate_json(
                (self.versions / current / RELEASE_FILE).read_text()
            ).sha256
            state.refused[sha] = reason
        if state.last_good == current:  # confirmed, then degraded: nothing older is known good
            state.last_good = None
        state.current = state.last_good
        self._save(state)
        return self.load(state.current) if state.current is not None else None

    def refuse(self, sha256: str, reason: str) -> None:
        state = self.state()
        state.refused[sha256] = reason
        self._save(state)

    def serving(self) -> Installed | None:
        """What to serve at start-up: the current version, else the last good one."""
        state = self.state()
        for key in (state.current, state.last_good):
            if key is not None and (self.versions / key).exists():
                try:
                    return self.load(key)
                except (IntegrityFailed, ModelRefused):
                    continue
        return None

    def _prune(self, state: StoreState) -> None:
        """Keep the serving and last good versions and the newest few others."""
        keep = {state.current, state.last_good}
        stored = sorted(self.versions.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for extra in [p for p in stored if p.name not in keep][KEEP_VERSIONS:]:
            shutil.rmtree(extra, ignore_errors=True)


def _key(release: Release) -> str:
    return f"{release.version}-{release.sha256[:12]}"


def _check_hash(content: bytes, expected: str, what: str) -> None:
    if not hmac.compare_digest(hashlib.sha256(content).hexdigest(), expected):
        raise IntegrityFailed(f"{what} does not match the sha256 of its signed release")


def _write_synced(path: Path, content: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    _write_synced(temporary, content)
    os.replace(temporary, path)
    _sync_folder(path.parent)
