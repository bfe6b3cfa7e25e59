"""The harness and the assessment against `mlflow models serve`, a server no one here
wrote, of a scikit-learn model on a credit data set made here (not Adult): the system's own
rows, in MLflow's protocol, with nothing of ours assumed.

One server for the module: the model is trained, logged with its signature, registered
and served once; each test reads it through a descriptor, as a team's would.
"""

import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from assessment.collectors import Provenances
from assessment.collectors.live import (
    LOW_LOAD_REQUESTS,
    LOW_LOAD_WARMUP,
    REFUSALS_KEPT,
    collect_live,
)
from harness.environment import Environment, RunOutcome
from harness.scenario import load_scenario, parse_scenario
from harness.security import NO_CREDENTIALS, Outcome, run_security_probes
from harness.system.loading import load_system
from harness.target import Target
from readiness.cli import app
from readiness.descriptor import (
    Protocol,
    ProtocolKind,
    load_descriptor,
)
from tests.harness.system.credit import LABEL, MODEL_NAME, Registered
from tests.harness.system.third_party import STEADY, mlflow_descriptor, mlflow_served

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Served:
    base: str
    registered: Registered
    folder: Path

    def descriptor(self, **changes: object) -> Path:
        return mlflow_descriptor(self.base, self.registered, self.folder, **changes)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("mlflow-serve")
    with mlflow_served(folder) as (base, registered):
        yield Served(base, registered, folder)


def run(served: Served, path: Path, *scenarios: str) -> RunOutcome:
    loaded = [parse_scenario(STEADY, Path("short-steady.yaml")) if name == "short-steady"
              else load_scenario(name) for name in scenarios]  # fmt: skip
    bundle = Path(tempfile.mkdtemp(prefix="bundle-", dir=served.folder))  # one run, one bundle
    return Environment(Target.from_file(path), bundle).run(loaded)


def test_the_request_schema_is_the_models_signature_with_the_label_left_out(
    served: Served,
) -> None:
    system = load_system(Target.from_file(served.descriptor()))
    assert system.schema.source == "mlflow-signature"
    assert system.schema.names == ["income", "debt_ratio", "age", "years_employed",
                                   "employment", "region", "email"]  # fmt: skip
    assert system.planted == ["email"]
    assert system.shaping is not None
    assert system.shaping.bias_group == "region = east"


def test_every_valid_row_of_steady_traffic_is_answered_2xx(served: Served) -> None:
    outcome = run(served, served.descriptor(), "short-steady")
    result = outcome.results[0]
    assert result.status == "passed", result
    served_count = result.expectations[0]
    assert served_count.value is not None
    assert served_count.value >= 60
    assert served_count.detail.startswith(f"{served_count.value:g} of {served_count.value:g} ")


def test_a_scenario_needing_a_fault_hook_the_server_has_not_is_not_applicable(
    served: Served,
) -> None:
    outcome = run(served, served.descriptor(), "accelerator-failure")
    result = outcome.results[0]
    assert result.status == "not_applicable"
    assert result.error is not None
    assert "the fault hook" in result.error
    assert "declare it under fault_hooks" in result.error


def test_rows_sent_in_a_protocol_the_server_refuses_make_the_run_invalid(served: Served) -> None:
    wrong = Protocol(kind=ProtocolKind.TEMPLATE, body={"rows": "{{instances}}"})
    outcome = run(served, served.descriptor(protocol=wrong), "short-steady")
    result = outcome.results[0]
    assert result.status == "invalid"
    assert result.error is not None
    assert "valid rows before the fault" in result.error
    assert "x 400" in result.error
    assert {e.outcome for e in result.expectations} == {Outcome.NOT_AVAILABLE}


def test_the_security_probes_find_the_servers_own_defects(served: Served) -> None:
    report = run_security_probes(load_system(Target.from_file(served.descriptor())),
                                 fuzz_requests=60, seed=1, burst_limit=16)  # fmt: skip
    unauthenticated = report.check(NO_CREDENTIALS)
    assert unauthenticated.outcome is Outcome.NOT_APPLICABLE
    assert "answered a predict without any key 200" in unauthenticated.detail
    fuzz = report.fuzz
    assert fuzz.schema_source.startswith("instance schema (mlflow-signature)")
    assert fuzz.transport_errors == 0
    assert fuzz.health_after == 200
    # the known defect: deeply nested JSON is a RecursionError, answered 500
    assert 500 in fuzz.by_mutation["deep_nesting"]
    assert all(s < 500 for m, c in fuzz.by_mutation.items() if m != "deep_nesting" for s in c)


def test_a_system_without_rows_is_sent_one_instance_built_from_its_schema_and_says_so(
    served: Served,
) -> None:
    """The signature names no categories, so the built instance's empty strings are ones
    the model never saw: it refuses every one of the 30 (tests/assessment/probes says how
    the probe words it)."""
    target = Target.from_file(served.descriptor(data=None))
    facts = {f.name: f for f in collect_live(target, Provenances("live", target.digest))}
    measured = facts["low_load"].value
    assert measured["rows"] == "one built from its schema"
    assert measured["warmup_statuses"] == {"400": LOW_LOAD_WARMUP}
    assert measured["statuses"] == {"400": LOW_LOAD_REQUESTS}
    assert len(measured["refusals"]) == REFUSALS_KEPT


def findings_of(bundle: Path) -> dict[str, dict[str, Any]]:
    assessment = json.loads((bundle / "assessment.json").read_text())
    return {f["probe"]: f for d in assessment["dimensions"] for f in d["findings"]}


@pytest.fixture(scope="module")
def assessed(served: Served) -> dict[str, dict[str, Any]]:
    """`readiness run DESCRIPTOR --no-scenarios`, as a user runs it against the server."""
    bundle = served.folder / "assessed"
    result = CliRunner().invoke(app, ["run", str(served.descriptor()), "--no-scenarios",
                                      "--out", str(bundle)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return findings_of(bundle)


@pytest.mark.parametrize(
    ("probe", "outcome", "reason"),
    [("predicts_within_slo_at_low_load", "pass", "p99"),
     ("served_version_resolves_in_registry", "pass", "version 1 answers and is registered"),
     ("runs_tracked_with_params_and_metrics", "pass", "2 params, 1 metrics"),
     ("served_version_has_full_lineage", "fail", "lacks code_version, dataset_digest"),
     ("predict_refuses_missing_credentials", "fail", ""),
     ("declares_metrics_endpoint", "fail", "no metrics endpoint declared"),
     ("health_answers", "pass", "")],
)  # fmt: skip
def test_the_assessment_gives_the_true_reason_for_what_the_server_has(
    assessed: dict[str, dict[str, Any]], probe: str, outcome: str, reason: str
) -> None:
    finding = assessed[probe]
    assert finding["outcome"] == outcome, finding
    assert reason in finding["detail"]


def test_init_discovers_the_server_and_writes_a_descriptor_that_runs(served: Served) -> None:
    output = served.folder / "init" / "target.yaml"
    result = CliRunner().invoke(app, [
        "init", f"{served.base}/invocations", "--data", str(served.registered.rows),
        "--label", LABEL, "--group", "region", "--personal", "email",
        "--registry", served.registered.tracking_uri, "--model", MODEL_NAME, "-o", str(output),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "found   protocol: mlflow (the path ends in /invocations (MLflow))" in result.output
    assert f"found   health: {served.base}/health" in result.output
    assert f"found   ready: {served.base}/ping" in result.output
    assert "request schema: 7 columns from mlflow-signature" in result.output
    assert "rows: 5 of 5 answered 2xx" in result.output
    assert "missing metrics: none of the usual routes answered 2xx" in result.output
    assert output.read_text().startswith("# A first target descriptor")
    descriptor = load_descriptor(output)
    assert descriptor.protocol.kind is ProtocolKind.MLFLOW
    assert descriptor.data is not None
    assert descriptor.data.personal == ["email"]
    system = load_system(Target.from_file(output))
    assert system.schema.source == "mlflow-signature"


def test_init_names_the_column_of_rows_that_do_not_fit_the_schema(served: Served) -> None:
    rows = served.folder / "bad-rows.csv"
    frame = pd.read_csv(served.registered.rows).head(20)
    frame["income"] = "plenty"
    frame.to_csv(rows, index=False)
    result = CliRunner().invoke(app, [
        "init", f"{served.base}/invocations", "--data", str(rows), "--label", LABEL,
        "--registry", served.registered.tracking_uri, "--model", MODEL_NAME,
        "-o", str(served.folder / "bad.yaml"),
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "column 'income' holds 'plenty', not a number" in result.output


def test_init_exits_1_when_nothing_answers(served: Served) -> None:
    result = CliRunner().invoke(app, [
        "init", "http://127.0.0.1:9/invocations", "--data", str(served.registered.rows),
        "-o", str(served.folder / "nothing.yaml"),
    ])  # fmt: skip
    assert result.exit_code == 1
    assert "did not answer" in result.output
