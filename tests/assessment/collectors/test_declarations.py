"""What a descriptor declares, read from the files it names; bad files are refused before
anything runs, naming the file and the field."""

from pathlib import Path

import pytest

from assessment.collectors import Provenances
from assessment.collectors.declarations import (
    collect_declarations,
    runbook_found,
    validate_declarations,
)
from readiness.descriptor import TargetDescriptor
from readiness.errors import InvalidInput

RULES = """groups:
- name: g
  rules:
  - alert: Drift
    expr: psi > 0.25
    labels: {severity: medium}
    annotations: {runbook_url: "runbooks.md#feature-drift"}
  - alert: Slow
    expr: p99 > 1
    labels: {severity: low}
    annotations: {runbook_url: "runbooks.md#nowhere"}
  - record: not_an_alert
    expr: x
"""
STAMP = Provenances("test", "d" * 64, "c" * 40)


def descriptor(**declared: object) -> TargetDescriptor:
    return TargetDescriptor.model_validate(
        {
            "name": "t",
            "architecture": "microservice",
            "pattern": "real-time",
            "profile": "production",
            "model": "m",
            "slos": {"p99_latency_ms": 100, "error_rate": 0.01, "availability": 0.999},
            "endpoints": {"predict": "http://127.0.0.1:1/p", "health": "http://127.0.0.1:1/h"},
            **declared,
        }
    )


def facts(target: TargetDescriptor, base: Path) -> dict[str, object]:
    found = collect_declarations(target, base, STAMP)
    return {f.name: f.value if f.collected else f"{f.status}: {f.reason}" for f in found}


def test_alert_rules_are_read_with_their_severity_and_runbook(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "runbooks.md").write_text("# Runbooks\n\n## Feature drift\n\nLook.\n")
    found = facts(descriptor(alert_rules="rules.yml"), tmp_path)["alert_rules"]
    assert found["rules"] == [  # type: ignore[index]
        {
            "alert": "Drift",
            "severity": "medium",
            "runbook": "runbooks.md#feature-drift",
            "runbook_found": True,
        },
        {
            "alert": "Slow",
            "severity": "low",
            "runbook": "runbooks.md#nowhere",
            "runbook_found": False,
        },
    ]


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("runbooks.md", True),
        ("runbooks.md#feature-drift", True),
        ("missing.md", False),
        ("runbooks.md#other", False),
        ("https://wiki.example/runbook", True),
        ("", False),
    ],
)
def test_a_runbook_is_found_when_its_file_and_heading_exist(
    url: str, found: bool, tmp_path: Path
) -> None:
    (tmp_path / "runbooks.md").write_text("## Feature drift\n")
    assert runbook_found(url, tmp_path) is found


def test_what_is_not_declared_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    found = facts(descriptor(), tmp_path)
    assert found["alert_rules"] == "unavailable: no alert_rules declared"
    assert found["attestations"] == "unavailable: no attestations file declared"
    assert found["governance_files"]["on_call"]["problem"] == (  # type: ignore[index]
        "no on-call rota declared (team.on_call)"
    )


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (
            "attestations",
            "schema_version: 1\nattestations:\n  - {probe: health_answers, "
            "answer: true, by: a, at: 2026-01-01}\n",
            "attestations.0.probe: 'health_answers' must be observed, it cannot be attested",
        ),
        (
            "attestations",
            "schema_version: 1\nattestations:\n  - {probe: has_magic, "
            "answer: true, by: a, at: 2026-01-01}\n",
            "no probe 'has_magic' in the rubric",
        ),
        (
            "attestations",
            "schema_version: 1\nattestations:\n  - {probe: on_call_defined, "
            "answer: true, at: 2026-01-01}\n",
            "attestations.0.by: Field required",
        ),
        (
            "controls",
            "schema_version: 1\nrequirements:\n  - {id: r, title: t, source: s, controls: []}\n",
            "requirements.0.controls: List should have at least 1 item",
        ),
        ("rules", "groups: 3\n", "not a Prometheus rules file"),
    ],
    ids=[
        "an observed probe attested",
        "an unknown probe attested",
        "an attestation by nobody",
        "a requirement without controls",
        "rules that are not rules",
    ],
)
def test_a_bad_declared_file_is_refused_before_anything_runs(
    file: str, text: str, message: str, tmp_path: Path
) -> None:
    (tmp_path / "file.yaml").write_text(text)
    options: dict[str, dict[str, object]] = {
        "attestations": {"attestations": "file.yaml"},
        "controls": {"compliance": {"regime": "standard", "controls": "file.yaml"}},
        "rules": {"alert_rules": "file.yaml"},
    }
    declared = options[file]
    with pytest.raises(InvalidInput, match=message):
        validate_declarations(descriptor(**declared), tmp_path)
