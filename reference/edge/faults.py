"""The edge deployment's fault hooks, as commands its descriptor names (shell hooks):
`python -m reference.edge.faults FOLDER HOOK [ARGUMENT]`.

- `cut-link DEVICE|all`, `restore-link DEVICE|all`: cut a device's link to the cloud (every
  open connection closed, new ones refused) and restore it;
- `push-model KIND`: write a bad release into the release channel, as a compromised or
  broken release pipeline would, for a version `<champion>+KIND`: `corrupt` (signed, but the
  model file in the bucket is damaged), `unsigned`, `broken` (signed, but it answers the
  canaries wrongly: a model that fails on the device), `slow` (signed and correct, but far
  too slow for the device's latency budget: it passes its canaries and must be rolled back
  on probation). The manifest it replaces is kept for `republish`;
- `republish`: put the manifest the last push replaced back (the undo);
- `cold-start DEVICE`: a device replaced in the field: stop it, wipe its model storage, start
  it again with only its pinned key, and wait until it serves its first verified release.

Each prints a JSON line of what it did; exit 1 with the reason when it could not.
"""

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import nats
import numpy as np
import onnx
import yaml
from onnx import helper, numpy_helper

from readiness.errors import InjectionFailed
from reference.edge.channel import RELEASES, fetch_files, latest_entry, publish_release
from reference.edge.link import cut, restore
from reference.edge.release import Release
from reference.edge.signing import PRIVATE_KEY_FILE, load_private_key
from reference.edge.supervision import control_file, start_device
from reference.platform.deploy.fault_commands import hook_command
from reference.platform.deploy.processes import pid_of, running, stop_session

KINDS = ("corrupt", "unsigned", "broken", "slow")
SLOW_STEPS, SLOW_WIDTH = 64, 512
"""Sized to take about twice the devices' 50 ms latency budget on one thread of the 2-core
machines the tests run on (24 steps stayed under it, and the slow release was confirmed)."""


def _cloud(place: Path) -> dict[str, str]:
    """The cloud's broker and model, as the deployment wrote them for its collector (read
    as plain YAML: a hook starts without the collector's imports)."""
    found: dict[str, str] = yaml.safe_load((place / "collector.yaml").read_text())
    return found


def _devices(place: Path, chosen: str) -> list[str]:
    known = sorted(p.stem for p in (place / "devices").glob("*.yaml"))
    if chosen == "all":
        return known
    if chosen not in known:
        raise InjectionFailed(f"no device '{chosen}' (devices: {', '.join(known)})")
    return [chosen]


def cut_link(place: Path, chosen: str) -> dict[str, Any]:
    devices = _devices(place, chosen)
    for device in devices:
        cut(control_file(place, device))
    return {"cut": devices, "at": time.time()}


def restore_link(place: Path, chosen: str) -> dict[str, Any]:
    devices = _devices(place, chosen)
    for device in devices:
        restore(control_file(place, device))
    return {"restored": devices, "at": time.time()}


async def push_model(place: Path, kind: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise InjectionFailed(f"push-model: KIND is one of {', '.join(KINDS)}, not '{kind}'")
    client = await nats.connect(_cloud(place)["broker_url"])
    try:
        js = client.jetstream()
        entry = await latest_entry(js, _cloud(place)["model"])
        if entry is None:
            raise InjectionFailed("no release in the channel to start from")
        current = Release.model_validate_json(entry[1])
        (place / "faults").mkdir(exist_ok=True)
        saved = place / "faults" / "replaced-release.json"
        if "+" not in current.version:  # keep the good one, not an earlier push
            saved.write_bytes(entry[1])
        model, reference = await fetch_files(js, current)
        bad_model, release = _bad_release(place, current, model, reference, kind)
        await publish_release(js, release, bad_model, reference)
    finally:
        await client.close()
    return {"pushed": kind, "version": release.version, "sha256": release.sha256,
            "signed": bool(release.signature), "at": time.time()}  # fmt: skip


def _bad_release(place: Path, current: Release, model: bytes, reference: bytes,
                 kind: str) -> tuple[bytes, Release]:  # fmt: skip
    """The bytes to put in the bucket and the manifest that names them."""
    from reference.edge.releaser import build_release
    from reference.platform.model.schema import load_schema

    key = load_private_key(place.parent.parent / "edge-keys" / PRIVATE_KEY_FILE)
    variant = _slowed(model) if kind == "slow" else _marked(model, kind)
    scratch = place / "faults" / f"{kind}.onnx"
    scratch.write_bytes(variant)
    version = f"{current.version.split('+')[0]}+{kind}"
    release = build_release(variant, scratch, reference, current.model, version,
                            current.canary_rows, load_schema(),
                            None if kind == "unsigned" else key)  # fmt: skip
    if kind == "broken":  # what the device will compute differs from what was signed
        wrong = [1.0 - a for a in release.canary_answers]
        release = release.model_copy(update={"canary_answers": wrong}).signed(key)
    if kind == "corrupt":  # damaged after signing: the bytes no longer match the hash
        damaged = bytearray(variant)
        for index in range(len(damaged) // 2, len(damaged) // 2 + 64):
            damaged[index] ^= 0xFF
        return bytes(damaged), release
    return variant, release


def _marked(model: bytes, kind: str) -> bytes:
    """The same graph with a metadata mark: another file (another sha256), same answers."""
    proto = onnx.load_from_string(model)
    proto.metadata_props.append(onnx.StringStringEntryProto(key="readiness.fault", value=kind))
    return bytes(proto.SerializeToString())


def _slowed(model: bytes) -> bytes:
    """The same answers after a chain of large matrix products that depends on the input
    (so no optimiser folds it away) and adds zero to the output: well over the device's
    latency budget (SLOW_STEPS)."""
    proto = onnx.load_from_string(model)
    graph = proto.graph
    output = graph.output[0].name
    for node in graph.node:
        node.output[:] = ["readiness_slow_raw" if o == output else o for o in node.output]
    weight = numpy_helper.from_array(np.eye(SLOW_WIDTH, dtype=np.float32) * 0.5, "slow_w")
    ones = numpy_helper.from_array(np.ones((SLOW_WIDTH, SLOW_WIDTH), np.float32), "slow_ones")
    zero = numpy_helper.from_array(np.zeros((1,), np.float32), "slow_zero")
    graph.initializer.extend([weight, ones, zero])
    nodes = [helper.make_node("ReduceMean", [graph.input[0].name], ["slow_seed"], keepdims=0),
             helper.make_node("Mul", ["slow_ones", "slow_seed"], ["slow_0"])]  # fmt: skip
    for step in range(SLOW_STEPS):
        nodes.append(helper.make_node("MatMul", [f"slow_{step}", "slow_w"], [f"slow_{step + 1}"]))
    nodes += [helper.make_node("ReduceSum", [f"slow_{SLOW_STEPS}"], ["slow_sum"], keepdims=0),
              helper.make_node("Mul", ["slow_sum", "slow_zero"], ["slow_nothing"]),
              helper.make_node("Add", ["readiness_slow_raw", "slow_nothing"],
                               [output])]  # fmt: skip
    graph.node.extend(nodes)
    proto.metadata_props.append(onnx.StringStringEntryProto(key="readiness.fault", value="slow"))
    return bytes(proto.SerializeToString())


async def republish(place: Path) -> dict[str, Any]:
    saved = place / "faults" / "replaced-release.json"
    if not saved.exists():
        return {"republished": None}
    client = await nats.connect(_cloud(place)["broker_url"])
    try:
        releases = await client.jetstream().key_value(RELEASES)
        release = Release.model_validate_json(saved.read_bytes())
        await releases.put(release.model, saved.read_bytes())
    finally:
        await client.close()
    return {"republished": release.version, "at": time.time()}


def cold_start(place: Path, device: str) -> dict[str, Any]:
    [device] = _devices(place, device)
    config = yaml.safe_load((place / "devices" / f"{device}.yaml").read_text())
    pid = pid_of(place / f"device-{device}.pid")
    if pid is not None and running(pid):
        stop_session(pid)
    shutil.rmtree(Path(config["folder"]) / "models", ignore_errors=True)
    started = time.monotonic()
    start_device(place, device, int(config["port"]))
    return {"device": device, "serving_after_s": round(time.monotonic() - started, 3),
            "at": time.time()}  # fmt: skip


def run_hook(place: Path, hook: str, argument: str | None) -> dict[str, Any]:
    if hook == "cut-link":
        return cut_link(place, argument or "all")
    if hook == "restore-link":
        return restore_link(place, argument or "all")
    if hook == "push-model":
        return asyncio.run(push_model(place, argument or "corrupt"))
    if hook == "republish":
        return asyncio.run(republish(place))
    if hook == "cold-start":
        if argument is None:
            raise InjectionFailed("cold-start: name the DEVICE")
        return cold_start(place, argument)
    raise InjectionFailed(f"no hook '{hook}'")


def main(argv: list[str]) -> int:
    return hook_command(argv, run_hook, __doc__ or "")


if __name__ == "__main__":
    os.environ.setdefault("ORT_LOGGING_LEVEL", "3")
    sys.exit(main(sys.argv))
