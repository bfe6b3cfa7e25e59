"""The team and compliance probes, one case per outcome: owners, a runbook behind every
severity, an on-call rota, a regime, requirements mapped to controls whose probes pass,
retention enforced by recorded prunes, and a bundle whose every file verifies."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assessment.probes.organisation import (
    declares_owners,
    declares_regime,
    every_mapped_control_passes,
    evidence_bundle_digested,
    maps_requirements_to_controls,
    on_call_defined,
    retention_enforced,
    runbook_for_every_alert_severity,
)
from readiness.bundle import Outcome
from tests.assessment.probes.facts import Case, Missing, judged_as_expected

NOW = datetime(2026, 12, 4, tzinfo=UTC)
SEVERITIES = ("critical", "high", "medium", "low")


def rules(*unbooked: str) -> dict[str, Any]:
    return {"rules": [{"alert": f"{s.title()}Alert", "severity": s,
                       "runbook_found": s not in unbooked} for s in SEVERITIES]}  # fmt: skip


def mapping(*probes: str) -> dict[str, Any]:
    return {"requirements": [{"id": "art-12", "controls": [{"id": "logging",
                                                            "probes": list(probes)}]}]}  # fmt: skip


def audit(oldest: datetime, prunes: int = 1) -> dict[str, Any]:
    return {"observed_at": NOW.isoformat(), "oldest_row_at": oldest.isoformat(),
            "prunes": [{"at": "2026-12-01T00:00:00+00:00"}] * prunes}  # fmt: skip


REGULATED = {"compliance": {"regime": "regulated"}}
CASES: dict[str, Case] = {
    "owners are declared": (
        declares_owners, {"descriptor": {"team": {"owners": ["ana", "bo"]}}},
        Outcome.PASS, "owned by ana, bo"),
    "no owner is declared": (
        declares_owners, {"descriptor": {"team": {}}}, Outcome.FAIL, "no owner declared"),
    "no descriptor to read": (
        declares_owners, {"descriptor": Missing("the descriptor did not parse")},
        Outcome.NOT_AVAILABLE, "the descriptor did not parse"),
    "a runbook for every severity": (
        runbook_for_every_alert_severity, {"alert_rules": rules()},
        Outcome.PASS, "runbooks found for critical, high, medium, low"),
    "no runbook behind the low alert": (
        runbook_for_every_alert_severity, {"alert_rules": rules("low")},
        Outcome.FAIL, "no runbook found for severity low (rules without one: LowAlert)"),
    "no alert rules to read": (
        runbook_for_every_alert_severity, {},
        Outcome.NOT_AVAILABLE, "no alert_rules evidence was collected"),
    "an on-call rota is declared": (
        on_call_defined, {"governance_files": {"on_call": {"found": True, "file": "rota.yaml"}}},
        Outcome.PASS, "on-call rota rota.yaml"),
    "no on-call rota, which only a person can attest": (
        on_call_defined, {"governance_files": {}},
        Outcome.NOT_AVAILABLE, "no on-call rota declared"),
    "a regulated regime": (
        declares_regime, {"descriptor": REGULATED}, Outcome.PASS, "regulated: 7-year retention"),
    "no regime": (
        declares_regime, {"descriptor": {}},
        Outcome.FAIL, "no regulatory regime declared (compliance.regime)"),
    "requirements mapped to controls": (
        maps_requirements_to_controls, {"control_mapping": mapping("audit_tampering_detected")},
        Outcome.PASS, "1 requirements mapped to 1 controls"),
    "a mapping without requirements": (
        maps_requirements_to_controls, {"control_mapping": {"requirements": []}},
        Outcome.FAIL, "the control mapping maps no requirement to a control"),
    "no mapping file": (
        maps_requirements_to_controls, {"control_mapping": Missing("no control mapping declared")},
        Outcome.NOT_AVAILABLE, "no control mapping declared"),
    "every mapped control's probe passes": (
        every_mapped_control_passes,
        {"control_mapping": mapping("declares_owners"), "findings": {"declares_owners": "pass"}},
        Outcome.PASS, "1 probe checks of mapped controls pass"),
    "a mapped control's probe fails": (
        every_mapped_control_passes,
        {"control_mapping": mapping("declares_owners"), "findings": {"declares_owners": "fail"}},
        Outcome.FAIL, "not passing: logging: declares_owners fail"),
    "a control mapped to a probe the rubric lacks": (
        every_mapped_control_passes, {"control_mapping": mapping("reads_minds"), "findings": {}},
        Outcome.FAIL, "the mapping names probes the rubric does not have: reads_minds"),
    "a control with no probe": (
        every_mapped_control_passes, {"control_mapping": mapping(), "findings": {}},
        Outcome.FAIL, "logging (no probe)"),
    "prunes recorded and no row past the period": (
        retention_enforced,
        {"descriptor": REGULATED, "audit_store": audit(NOW - timedelta(days=30))},
        Outcome.PASS, "1 prunes recorded, last 2026-12-01T00:00:00+00:00"),
    "a row older than the period": (
        retention_enforced,
        {"descriptor": {"compliance": {"regime": "standard"}},
         "audit_store": audit(NOW - timedelta(days=365 * 3))},
        Outcome.FAIL, "are older than 2 years"),
    "no prune ever recorded": (
        retention_enforced, {"descriptor": REGULATED, "audit_store": audit(NOW, prunes=0)},
        Outcome.FAIL, "no prune recorded in the audit trail (7-year retention)"),
    "no regime, so no period to enforce": (
        retention_enforced, {"descriptor": {}, "audit_store": audit(NOW)},
        Outcome.FAIL, "no regime declared, so no retention period to enforce"),
    "no audit store to read": (
        retention_enforced, {"descriptor": REGULATED, "audit_store": Missing("no audit.uri")},
        Outcome.NOT_AVAILABLE, "no audit.uri"),
    "every bundle file verifies": (
        evidence_bundle_digested, {"bundle_digests": {"files": 12, "problems": []}},
        Outcome.PASS, "12 files digested, all verify"),
    "a bundle file altered after sealing": (
        evidence_bundle_digested,
        {"bundle_digests": {"files": 12, "problems": ["events.jsonl: digest differs"]}},
        Outcome.FAIL, "events.jsonl: digest differs"),
    "an empty digest list": (
        evidence_bundle_digested, {"bundle_digests": {"files": 0, "problems": []}},
        Outcome.FAIL, "no file digested"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_organisation_probe_judges_its_evidence(case: str) -> None:
    judged_as_expected(CASES[case])
