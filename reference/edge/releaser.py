"""The cloud's release service: follows the registry's champion and publishes each new one
to the fleet as a signed release. `python -m reference.edge.releaser CONFIG.yaml`.

It fetches the champion through the same integrity check as every serving path (the
artifact's sha256 against its registry record), computes the canary answers with that very
file, signs the manifest with the release key, and publishes files then manifest. A
rollback of the alias is a new release like any other: the fleet follows the alias, whatever
moved it (a promotion, an operator, the monitors).
"""

import asyncio
import contextlib
import hashlib
import logging
import sys
import time
from pathlib import Path

import nats
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js.client import JetStreamContext
from pydantic import BaseModel, ConfigDict, Field

from readiness.documents import load_document
from readiness.errors import InvalidConfiguration, InvalidInput
from reference.edge.channel import ensure_channel, publish_release
from reference.edge.release import Release, canary_rows
from reference.edge.signing import load_private_key
from reference.platform.deploy.processes import run_until_signalled
from reference.platform.model.artifacts import fetch_by_alias
from reference.platform.model.dataset import load_adult
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import FeatureSchema, RecordEncoder, load_schema
from reference.platform.monitoring.reference_store import RegistryReferences

log = logging.getLogger(__name__)
ALIAS = "champion"
CANARIES = 32


class ReleaserConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_url: str
    tracking_uri: str
    model: str
    cache_dir: Path
    private_key: Path
    poll_s: float = Field(default=0.5, gt=0, le=60)


def canaries(schema: FeatureSchema) -> list[dict[str, object]]:
    """Fixed rows of the test split (the same ones every release), model inputs only."""
    test = load_adult(schema=schema).test
    columns = [c.name for c in schema.model_inputs]
    records = test[columns].head(CANARIES).to_dict("records")
    return canary_rows([{str(k): v for k, v in r.items()} for r in records])


def build_release(
    model_file: bytes, model_path: Path, reference: bytes, model: str, version: str,
    rows: list[dict[str, object]], schema: FeatureSchema, key: Ed25519PrivateKey | None,
) -> Release:  # fmt: skip
    """A release of `model_file` (loaded from `model_path` for its canary answers), signed
    with `key` (None: unsigned, which only a fault hook wants)."""
    answers = OnnxModel(model_path, threads=1).predict(*RecordEncoder(schema).encode(rows))
    release = Release(
        model=model, version=version, sha256=hashlib.sha256(model_file).hexdigest(),
        size=len(model_file), reference_sha256=hashlib.sha256(reference).hexdigest(),
        canary_rows=rows, canary_answers=[float(a) for a in answers], released_at=time.time(),
    )  # fmt: skip
    return release.signed(key) if key is not None else release


class Releaser:
    def __init__(self, config: ReleaserConfig, schema: FeatureSchema) -> None:
        self.config, self.schema = config, schema
        self.registry = ModelRegistry(config.tracking_uri)
        self.references = RegistryReferences(self.registry, config.cache_dir / "references")
        self.key = load_private_key(config.private_key)
        self.rows = canaries(schema)
        self.published: str | None = None

    def champion_release(self) -> tuple[Release, bytes, bytes]:
        """The champion as a signed release with its files."""
        artifact = fetch_by_alias(self.registry, self.config.model, ALIAS, self.config.cache_dir)
        reference = self.references.reference(self.config.model, artifact.version)
        if reference is None:
            raise InvalidInput(f"{self.config.model} version {artifact.version} has no monitor "
                               "reference; a device could not sketch its traffic")  # fmt: skip
        model = artifact.path.read_bytes()
        reference_bytes = reference.model_dump_json().encode()
        release = build_release(model, artifact.path, reference_bytes, self.config.model,
                                artifact.version, self.rows, self.schema, self.key)  # fmt: skip
        return release, model, reference_bytes

    async def run(self, stop: asyncio.Event) -> None:
        client = await nats.connect(self.config.broker_url, max_reconnect_attempts=-1)
        js = client.jetstream()
        await ensure_channel(js)
        while not stop.is_set():
            try:
                await self.step(js)
            except Exception as problem:  # the registry away for a moment: next poll
                log.warning("releaser: %s", problem)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.poll_s)
        await client.close()

    async def step(self, js: JetStreamContext) -> bool:
        """Publish the champion if it changed since the last release; True if published."""
        champion = await asyncio.to_thread(self.registry.champion, self.config.model)
        if champion is None or champion.version == self.published:
            return False
        release, model, reference = await asyncio.to_thread(self.champion_release)
        await publish_release(js, release, model, reference)
        self.published = release.version
        log.info("releaser: released %s version %s (sha256 %s)", release.model, release.version,
                 release.sha256[:12])  # fmt: skip
        return True


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m reference.edge.releaser CONFIG.yaml\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = load_document(Path(argv[1]), ReleaserConfig, InvalidConfiguration, "releaser config")
    releaser = Releaser(config, load_schema())
    run_until_signalled(releaser.run)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
