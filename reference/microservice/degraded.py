"""The `bad_rollout` fault: promote a deliberately degraded model version, and its undo.

Automatic rollback can only be tested by rolling out a version that is bad where the
monitors look (accuracy on labelled feedback) and indistinguishable everywhere else: same
inputs and outputs, same lineage, a valid approval and a matching sha256, so that it passes
every gate of a real promotion. The degraded copy of the champion's ONNX graph answers
1 - p for the positive class, which turns a good classifier into a bad one of the same
confidence. It is stored beside the champion's training run (so the monitors find that
run's reference bins), registered with the champion's lineage tags, `DEGRADED_TAG` and a
fresh sha256, approved by the admin who injected the fault, and promoted through
`ModelControl`, so the deployment log, the router and the cache change as for any
promotion. `restore` rolls back only a degraded champion, so it is harmless after the
monitors have already rolled it back.
"""

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import onnx
from mlflow.exceptions import MlflowException
from onnx import helper, numpy_helper
from pydantic import BaseModel

from readiness.errors import FaultUnsupported, RegistryUnavailable
from readiness.provenance import sha256_file
from reference.microservice.control import ModelControl, PromoteRequest
from reference.platform.model.artifacts import MODEL_FILE, SHA_TAG, fetch_version
from reference.platform.model.registry import CHALLENGER, FAIRNESS_TAG, SCHEMA_TAG, ModelRegistry
from reference.platform.monitoring.reference_store import REFERENCE_SHA_TAG
from reference.platform.serving.admin_routes import RollbackRequest

DEGRADED_TAG = "fault.degraded"
"""Set only on versions built by `bad_rollout`; its value says from what and how."""
LINEAGE_TAGS = (REFERENCE_SHA_TAG, "dataset_digest", "code_version", "fairness.policy",
                FAIRNESS_TAG)  # fmt: skip
"""The champion's tags its degraded copy keeps: it was trained on the same data by the same
code; only its output was inverted afterwards."""
ARTIFACT_FOLDER = "faults"
"""Where, in the champion's training run, the degraded copies are stored."""


class FaultAnswer(BaseModel):
    """What `bad_rollout` and `restore` answer: what was done, and the champion after it."""

    done: str
    version: str | None


def invert_probability(source: Path, destination: Path) -> Path:
    """Write a copy of the ONNX model `source` whose output is 1 - the original output.

    The graph's inputs and output keep their names, types and shapes; the producer of the
    output is renamed and a `Sub(1, p)` node produces the output in its place."""
    model = onnx.load(str(source))
    graph = model.graph
    (output,) = graph.output
    original = f"{output.name}_before_fault"
    for node in graph.node:
        node.input[:] = [original if name == output.name else name for name in node.input]
        node.output[:] = [original if name == output.name else name for name in node.output]
    one = np.array(1, dtype=helper.tensor_dtype_to_np_dtype(output.type.tensor_type.elem_type))
    graph.initializer.append(numpy_helper.from_array(one, name=f"{output.name}_fault_one"))
    graph.node.append(
        helper.make_node(
            "Sub", [f"{output.name}_fault_one", original], [output.name], name="fault_invert"
        )
    )
    onnx.checker.check_model(model)
    onnx.save(model, str(destination))
    return destination


async def roll_out_degraded(control: ModelControl, actor: str, model: str) -> FaultAnswer:
    """Register, approve and promote a degraded copy of the champion of `model`."""
    source, version = await asyncio.to_thread(
        _registry_call, _register_degraded, control.registry, model, actor
    )
    reason = f"fault injection (bad_rollout): version {version} is version {source} degraded"
    await control.promote(actor, model, PromoteRequest(version=version, reason=reason))
    return FaultAnswer(
        done=f"promoted version {version} of {model}, a degraded copy of version {source} "
        "(probability inverted)",
        version=version,
    )


async def restore(control: ModelControl, actor: str, model: str) -> FaultAnswer:
    """Roll back a degraded champion of `model`; do nothing when the champion is not one."""
    champion, degraded = await asyncio.to_thread(_registry_call, _champion, control.registry, model)
    if not degraded:
        return FaultAnswer(
            done=f"nothing to restore: champion version {champion} of {model} is not degraded",
            version=champion,
        )
    reason = f"fault undone (restore): version {champion} was degraded on purpose"
    event = await control.rollback(actor, model, RollbackRequest(reason=reason))
    return FaultAnswer(
        done=f"rolled back degraded version {champion} of {model} to version {event.to_version}",
        version=event.to_version,
    )


_Result = TypeVar("_Result")


def _registry_call(
    call: Callable[..., _Result], registry: ModelRegistry, *arguments: str
) -> _Result:
    """`call(registry, *arguments)`, with MLflow's own errors turned into ours."""
    try:
        return call(registry, *arguments)
    except MlflowException as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        raise RegistryUnavailable(
            f"MLflow registry {registry.tracking_uri} failed: {first}"
        ) from error


def _champion(registry: ModelRegistry, model: str) -> tuple[str, bool]:
    """The champion's version, and whether it is a degraded one."""
    found = registry.champion(model)
    if found is None:
        raise FaultUnsupported(f"model '{model}' has no champion")
    tags = registry.client.get_model_version(model, found.version).tags
    return found.version, DEGRADED_TAG in tags


def _register_degraded(registry: ModelRegistry, model: str, actor: str) -> tuple[str, str]:
    """Build, store, register and approve the degraded copy; (source version, new version)."""
    champion, degraded = _champion(registry, model)
    if degraded:
        raise FaultUnsupported(
            f"champion version {champion} of {model} is already degraded; restore it first"
        )
    found = registry.client.get_model_version(model, champion)
    if not found.run_id:
        raise FaultUnsupported(f"{model} version {champion} has no run to store a copy in")
    with tempfile.TemporaryDirectory() as scratch:
        artifact = fetch_version(registry, model, champion, Path(scratch) / "source")
        folder = Path(scratch) / "degraded"
        shutil.copytree(artifact.path.parent, folder)
        invert_probability(artifact.path, folder / MODEL_FILE)
        place = f"{ARTIFACT_FOLDER}/bad-rollout-{uuid.uuid4().hex[:12]}"
        registry.client.log_artifacts(found.run_id, str(folder), artifact_path=place)
        sha256 = sha256_file(folder / MODEL_FILE)
    run = registry.client.get_run(found.run_id)
    tags = {key: found.tags[key] for key in LINEAGE_TAGS if key in found.tags}
    tags[SHA_TAG] = sha256
    tags[DEGRADED_TAG] = f"bad_rollout of version {champion}: probability inverted (1 - p)"
    challenger = _challenger(registry, model)
    added = registry.register(
        model,
        f"{run.info.artifact_uri}/{place}",
        found.run_id,
        found.tags.get(SCHEMA_TAG, ""),
        tags,
    )
    if challenger is not None:  # registering took the alias; a pending challenger keeps it
        registry.client.set_registered_model_alias(model, CHALLENGER, challenger)
    registry.approve(model, added.version, actor,
                     f"deliberate fault injection (bad_rollout) of a degraded copy of version "
                     f"{champion}; it must be rolled back")  # fmt: skip
    return champion, added.version


def _challenger(registry: ModelRegistry, model: str) -> str | None:
    try:
        return str(registry.client.get_model_version_by_alias(model, CHALLENGER).version)
    except MlflowException:
        return None
