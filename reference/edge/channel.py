"""The release channel and the telemetry stream on the cloud's NATS server.

Releases travel as two JetStream objects (the model file, the monitor reference) and one
key-value entry per model holding the signed manifest; a device reads the entry, fetches
what it names and verifies everything itself, so the channel need not be trusted (a fault
hook writes bad releases into it on purpose). Telemetry goes the other way, into a stream
with a deduplication window, the broker's half of exactly-once forwarding.
"""

from nats.js.api import (
    DiscardPolicy,
    KeyValueConfig,
    StorageType,
    StreamConfig,
)
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from reference.edge.release import Release
from reference.edge.telemetry import STREAM, SUBJECT_PREFIX

RELEASES, MODELS = "edge_releases", "edge_models"
DEDUP_WINDOW_S = 600.0
TELEMETRY_MAX_BYTES = 2 * 1024**3


async def ensure_channel(js: JetStreamContext) -> None:
    """Create the buckets and the telemetry stream, or leave them as they are."""
    await js.create_key_value(KeyValueConfig(bucket=RELEASES, history=5))
    await js.create_object_store(MODELS)
    config = StreamConfig(name=STREAM, storage=StorageType.FILE, subjects=[f"{SUBJECT_PREFIX}.>"],
                          duplicate_window=DEDUP_WINDOW_S, max_bytes=TELEMETRY_MAX_BYTES,
                          discard=DiscardPolicy.OLD)  # fmt: skip
    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(config)
    else:  # it exists: keep what it holds
        await js.update_stream(config)


async def publish_release(
    js: JetStreamContext, release: Release, model: bytes, reference: bytes
) -> None:
    """The files first, the manifest last: a device never reads a manifest whose files are
    not there yet."""
    store: ObjectStore = await js.object_store(MODELS)
    model_name, reference_name = release.object_names()
    await store.put(model_name, model)
    await store.put(reference_name, reference)
    releases: KeyValue = await js.key_value(RELEASES)
    await releases.put(release.model, release.model_dump_json().encode())


async def latest_entry(js: JetStreamContext, model: str) -> tuple[int, bytes] | None:
    """(revision, manifest bytes) of the model's release; None when none was published."""
    releases = await js.key_value(RELEASES)
    try:
        entry = await releases.get(model)
    except NotFoundError:
        return None
    return (entry.revision or 0), (entry.value or b"")


async def fetch_files(js: JetStreamContext, release: Release) -> tuple[bytes, bytes]:
    store = await js.object_store(MODELS)
    model_name, reference_name = release.object_names()
    model = (await store.get(model_name)).data or b""
    reference = (await store.get(reference_name)).data or b""
    return model, reference
