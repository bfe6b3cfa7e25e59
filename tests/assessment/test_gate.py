"""The gate holds an assessment to a policy and, with a baseline, to its past."""

from datetime import date
from pathlib import Path

import pytest

from assessment.engine import assess
from assessment.gate import gate, summary
from assessment.policy import WHITEPAPER_POLICY, Policy, load_policy
from assessment.result import Assessment
from readiness.errors import InvalidPolicy
from tests.assessment.bundles import mature_facts, mature_scenarios, write_bundle

TODAY = date(2026, 11, 29)


@pytest.fixture
def mature(tmp_path: Path) -> Assessment:
    return assess(write_bundle(tmp_path / "mature", mature_facts(), mature_scenarios()))


@pytest.fixture
def gapped(tmp_path: Path) -> Assessment:
    """Observability at 3 (no monitors) and a failing required probe (logs leak a key)."""
    scan = {"sources": ["s.log"], "lines": 5, "findings": ["s.log: the api key appears twice"]}
    facts = mature_facts(
        monitor_metrics=None,
        log_scan=scan,
        input_validation={
            "requests": 40,
            "status_counts": {"500": 1},
            "server_errors": 1,
            "transport_errors": 0,
            "accepted_invalid": 0,
        },
    )
    return assess(write_bundle(tmp_path / "gapped", facts, mature_scenarios()))


def policy(**fields: object) -> Policy:
    base: dict[str, object] = {"schema_version": 1, "name": "test"}
    return Policy.model_validate({**base, **fields})


def test_a_mature_system_passes_the_whitepaper_policy(mature: Assessment) -> None:
    assert gate(mature, load_policy(WHITEPAPER_POLICY), today=TODAY).passed


def test_each_enforced_minimum_and_required_probe_is_a_violation(gapped: Assessment) -> None:
    result = gate(gapped, load_policy(WHITEPAPER_POLICY), today=TODAY)
    assert result.violations == [
        "observability 3 < minimum 5",
        "security 3 < minimum 5",
        "compliance 3 < minimum 4",  # its control mapping names the failing probe
        "required probe malformed_input_gets_4xx is fail: of 40: 1 server errors",
    ]


def test_an_advisory_dimension_warns_and_a_disabled_one_is_ignored(gapped: Assessment) -> None:
    chosen = policy(
        dimensions={
            "observability": {"min": 5, "mode": "advisory"},
            "security": {"min": 5, "mode": "disabled"},
        }
    )
    result = gate(gapped, chosen, today=TODAY)
    assert (result.passed, result.warnings) == (True, ["observability 3 < minimum 5 (advisory)"])


def test_an_active_exemption_waives_and_an_expired_one_does_not(gapped: Assessment) -> None:
    exemptions = [
        {
            "dimension": "observability",
            "reason": "monitors ship next sprint",
            "owner": "ana",
            "expires": "2026-12-31",
        },
        {
            "probe": "malformed_input_gets_4xx",
            "reason": "fix merged",
            "owner": "bo",
            "expires": "2026-11-01",
        },
    ]
    chosen = policy(
        dimensions={"observability": {"min": 5}},
        required_probes=["malformed_input_gets_4xx"],
        exemptions=exemptions,
    )
    result = gate(gapped, chosen, today=TODAY)
    assert result.violations == [
        "required probe malformed_input_gets_4xx is fail: of 40: 1 server errors"
    ]
    assert result.waived[0].startswith("observability 3 < minimum 5: exempt until 2026-12-31 (ana")
    assert result.expired == [
        "probe malformed_input_gets_4xx: expired 2026-11-01 (owner bo): it waives nothing"
    ]


def test_a_regression_against_the_baseline_fails_an_enforced_dimension(
    mature: Assessment, gapped: Assessment
) -> None:
    chosen = policy(
        dimensions={"observability": {"min": 1}, "security": {"min": 1, "mode": "advisory"}}
    )
    result = gate(gapped, chosen, mature, today=TODAY)
    assert result.violations == ["observability regressed from 5 to 3 against the baseline"]


def test_the_total_minimum_is_enforced(gapped: Assessment) -> None:
    result = gate(gapped, policy(min_total=50), today=TODAY)
    assert result.violations == [f"total {gapped.total} < minimum 50"]


def test_the_summary_says_why(gapped: Assessment) -> None:
    text = summary(gate(gapped, load_policy(WHITEPAPER_POLICY), today=TODAY), gapped)
    assert text.startswith("## Readiness gate (whitepaper): **failed**")
    assert "- observability 3 < minimum 5" in text


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "schema_version: 1\nname: p\ndimensions: {ops: {min: 3}}\n",
            "dimensions.ops: not a dimension",
        ),
        (
            "schema_version: 1\nname: p\nrequired_probes: [is_magic]\n",
            "required_probes.0: no probe 'is_magic' in the rubric",
        ),
        ("schema_version: 1\nname: p\ndimensions: {cost: {min: 6}}\n", "dimensions.cost.min"),
        (
            "schema_version: 1\nname: p\nexemptions: [{probe: health_answers, owner: a, "
            "expires: 2027-01-01}]\n",
            "exemptions.0.reason: Field required",
        ),
        (
            "schema_version: 1\nname: p\n"
            "exemptions: [{reason: r, owner: a, expires: 2027-01-01}]\n",
            "names exactly one of probe or dimension",
        ),
        ("schema_version: 2\nname: p\n", "schema_version"),
    ],
    ids=[
        "unknown dimension",
        "unknown probe",
        "minimum above 5",
        "exemption without a reason",
        "exemption of nothing",
        "future schema",
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(
    document: str, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(document)
    with pytest.raises(InvalidPolicy, match=message):
        load_policy(path)
