"""The harness and the assessment against a team's own FastAPI service of the credit model
(one row per request, a Bearer token, prometheus-fastapi-instrumentator's metrics, a log
that echoes what it refused): a template protocol, an auth scheme and exporter names that
are not ours."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assessment.collectors import Provenances
from assessment.collectors.live import collect_live
from assessment.collectors.logs import collect_logs
from harness.environment import Environment
from harness.scenario import parse_scenario
from harness.security import NO_CREDENTIALS, WRONG_KEY, Outcome, run_security_probes
from harness.system.loading import load_system
from harness.target import Target
from tests.harness.system.third_party import API_TOKEN, STEADY, fastapi_served

pytestmark = pytest.mark.slow
TOKEN = API_TOKEN


@dataclass(frozen=True)
class Service:
    descriptor: Path
    log: Path
    folder: Path


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("credit-api")
    with fastapi_served(folder) as descriptor:
        yield Service(descriptor, folder / "service.log", folder)


def test_the_schema_is_the_services_openapi_body_and_the_token_is_sent_as_bearer(
    service: Service,
) -> None:
    target = Target.from_file(service.descriptor)
    assert target.headers() == {"Authorization": f"Bearer {TOKEN}"}
    system = load_system(target)
    assert system.schema.source == "openapi"
    assert system.schema.names == ["income", "debt_ratio", "age", "years_employed",
                                   "employment", "region", "email"]  # fmt: skip
    age = system.schema.column("age")
    assert age is not None
    assert (age.kind.value, age.minimum, age.maximum) == ("integer", 18, 120)


def test_steady_traffic_of_single_rows_is_answered_and_names_the_version(
    service: Service,
) -> None:
    loaded = parse_scenario(STEADY, Path("short-steady.yaml"))
    outcome = Environment(Target.from_file(service.descriptor), service.folder / "b").run([loaded])
    result = outcome.results[0]
    assert result.status == "passed", result
    requests = service.folder / "b" / "work" / "short-steady" / "traffic" / "requests.jsonl"
    assert '"version": "2026.12.1"' in requests.read_text()


def test_the_security_probes_use_the_bearer_scheme_and_find_the_services_defects(
    service: Service,
) -> None:
    """FastAPI's JSON parser takes NaN and Infinity tokens and pydantic's lax floats take
    them too, so the model is asked about NaN and the service answers 500; lax parsing also
    takes the text "40" for a number its schema says is one."""
    report = run_security_probes(load_system(Target.from_file(service.descriptor)),
                                 fuzz_requests=200, seed=2, burst_limit=16)  # fmt: skip
    assert report.check(NO_CREDENTIALS).outcome is Outcome.PASS
    assert report.check(WRONG_KEY).outcome is Outcome.PASS
    fuzz = report.fuzz
    assert fuzz.by_mutation["nan_inf_literal"].get(500, 0) > 0
    assert set(fuzz.by_mutation["deep_nesting"]) == {400}
    assert fuzz.accepted_invalid > 0
    assert {e.mutation for e in fuzz.accepted_invalid_examples} <= {"wrong_type",
                                                                     "nan_inf_string"}  # fmt: skip
    assert fuzz.outcome is Outcome.FAIL
    assert fuzz.health_after == 200


def test_the_log_that_echoes_refused_bodies_is_found_holding_the_planted_canaries(
    service: Service,
) -> None:
    target = Target.from_file(service.descriptor)
    run_security_probes(load_system(target), fuzz_requests=30, seed=3, burst_limit=1)
    (fact,) = collect_logs(target, service.folder, Provenances("logs", target.digest))
    findings = fact.value["findings"]
    assert any("canaries in clear (planted by the harness in the personal-data columns email"
               in finding for finding in findings), findings  # fmt: skip
    assert all(TOKEN not in finding for finding in findings)


def test_metrics_behind_a_redirect_are_read_and_the_instrumentators_counter_is_known(
    service: Service,
) -> None:
    target = Target.from_file(service.descriptor)
    endpoints = target.descriptor.endpoints
    assert endpoints.metrics is not None
    moved = target.descriptor.model_copy(
        update={
            "endpoints": endpoints.model_copy(
                update={"metrics": endpoints.metrics.replace("/metrics", "/prometheus")}
            )
        }
    )
    target = Target.from_file(moved.write(service.folder / "moved.yaml"))
    facts = {f.name: f for f in collect_live(target, Provenances("live", target.digest))}
    metrics = facts["service_metrics"]
    assert metrics.collected, metrics.reason
    assert "http_requests" in {family["name"] for family in metrics.value}
