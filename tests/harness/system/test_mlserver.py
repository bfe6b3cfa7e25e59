"""The harness and the assessment against MLServer (Seldon's Open Inference Protocol V2
server) with its scikit-learn runtime, in a venv of its own (`make` builds
.venv-mlserver: MLServer pins FastAPI below our lock): tensors per column for the pandas
codec, a model version and request id in every answer, metrics on a port of their own."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.environment import Environment
from harness.scenario import load_scenario, parse_scenario
from harness.security import run_security_probes
from harness.system.loading import load_system
from harness.target import Target
from tests.harness.system.credit import LABEL
from tests.harness.system.third_party import STEADY, mlserver_served

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Served:
    descriptor: Path
    folder: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("mlserver")
    with mlserver_served(folder) as descriptor:
        yield Served(descriptor, folder)


def test_the_schema_is_inferred_when_the_metadata_declares_no_inputs(served: Served) -> None:
    system = load_system(Target.from_file(served.descriptor))
    assert system.schema.source == "data"
    assert any("open-inference: GET" in why and "no inputs metadata" in why
               for why in system.passed_over)  # fmt: skip
    assert "region" not in system.schema.names
    assert LABEL not in system.schema.names


def test_steady_traffic_is_answered_with_the_model_version(served: Served) -> None:
    loaded = parse_scenario(STEADY, Path("short-steady.yaml"))
    outcome = Environment(Target.from_file(served.descriptor), served.folder / "b").run([loaded])
    result = outcome.results[0]
    assert result.status == "passed", result
    requests = served.folder / "b" / "work" / "short-steady" / "traffic" / "requests.jsonl"
    first = json.loads(requests.read_text().splitlines()[0])
    assert (first["status"], first["version"]) == (200, "v1")
    assert first["request_id"]


def test_a_bad_rollout_needs_a_fault_hook_the_server_has_not(served: Served) -> None:
    outcome = Environment(Target.from_file(served.descriptor), served.folder / "c").run(
        [load_scenario("bad-rollout")]
    )
    assert outcome.results[0].status == "not_applicable"


def test_the_fuzzer_breaks_real_tensors_and_the_server_refuses_them(served: Served) -> None:
    report = run_security_probes(load_system(Target.from_file(served.descriptor)),
                                 fuzz_requests=60, seed=4, burst_limit=16)  # fmt: skip
    fuzz = report.fuzz
    assert fuzz.schema_source.startswith("open inference tensors")
    assert fuzz.transport_errors == 0
    assert fuzz.health_after == 200
    assert sum(fuzz.status_counts.values()) == 60
