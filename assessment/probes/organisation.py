"""Team and compliance: who runs it, and which rules it answers to."""

from datetime import datetime, timedelta
from typing import Any

from assessment.probes import Evidence, Verdict, fails, judge, passes, unknown
from readiness.bundle import Outcome

SEVERITIES = ("critical", "high", "medium", "low")
RETENTION_YEARS = {"regulated": 7, "standard": 2}


# ---------------------------------------------------------------- team


def declares_owners(evidence: Evidence) -> Verdict:
    declared = evidence.value("descriptor")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    owners = (declared.get("team") or {}).get("owners") or []
    return judge(bool(owners), f"owned by {', '.join(owners)}", "no owner declared")


def runbook_for_every_alert_severity(evidence: Evidence) -> Verdict:
    rules = evidence.value("alert_rules")
    if rules is None:
        return unknown(evidence.why_missing("alert_rules"))
    covered = {str(r.get("severity")) for r in rules.get("rules", []) if r.get("runbook_found")}
    missing = [s for s in SEVERITIES if s not in covered]
    broken = [str(r.get("alert")) for r in rules.get("rules", []) if not r.get("runbook_found")]
    if missing:
        return fails(
            f"no runbook found for severity {', '.join(missing)}"
            + (f" (rules without one: {', '.join(broken)})" if broken else "")
        )
    return passes(
        f"runbooks found for {', '.join(SEVERITIES)}"
        + (f"; rules without one: {', '.join(broken)}" if broken else "")
    )


def on_call_defined(evidence: Evidence) -> Verdict:
    files = evidence.value("governance_files")
    if files is None:
        return unknown(evidence.why_missing("governance_files"))
    rota = files.get("on_call") or {}
    if not rota.get("found"):
        return unknown(rota.get("problem") or "no on-call rota declared")
    return passes(f"on-call rota {rota.get('file')}")


# ---------------------------------------------------------------- compliance


def declares_regime(evidence: Evidence) -> Verdict:
    declared = evidence.value("descriptor")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    regime = (declared.get("compliance") or {}).get("regime")
    if not regime:
        return fails("no regulatory regime declared (compliance.regime)")
    return passes(f"{regime}: {RETENTION_YEARS[regime]}-year retention")


def maps_requirements_to_controls(evidence: Evidence) -> Verdict:
    mapping = evidence.value("control_mapping")
    if mapping is None:
        return unknown(evidence.why_missing("control_mapping"))
    requirements = mapping.get("requirements", [])
    controls = sum(len(r.get("controls", [])) for r in requirements)
    return judge(
        bool(requirements) and controls > 0,
        f"{len(requirements)} requirements mapped to {controls} controls",
        "the control mapping maps no requirement to a control",
    )


def every_mapped_control_passes(evidence: Evidence) -> Verdict:
    mapping, findings = evidence.value("control_mapping"), evidence.value("findings")
    if mapping is None:
        return unknown(evidence.why_missing("control_mapping"))
    outcomes: dict[str, str] = findings or {}
    unknown_ids, failing, checked = [], [], 0
    for requirement in mapping.get("requirements", []):
        for control in requirement.get("controls", []):
            probes = control.get("probes", [])
            if not probes:
                failing.append(f"{control.get('id')} (no probe)")
            for probe in probes:
                outcome = outcomes.get(probe)
                if outcome is None:
                    unknown_ids.append(probe)
                elif outcome != Outcome.PASS:
                    failing.append(f"{control.get('id')}: {probe} {outcome}")
                checked += 1
    if unknown_ids:
        return fails(f"the mapping names probes the rubric does not have: {', '.join(unknown_ids)}")
    return judge(
        not failing and checked > 0,
        f"{checked} probe checks of mapped controls pass",
        f"not passing: {'; '.join(failing)}"[:400],
    )


def retention_enforced(evidence: Evidence) -> Verdict:
    declared, audit = evidence.value("descriptor"), evidence.value("audit_store")
    if declared is None or audit is None:
        return unknown(evidence.why_missing("descriptor" if declared is None else "audit_store"))
    regime = (declared.get("compliance") or {}).get("regime")
    if not regime:
        return fails("no regime declared, so no retention period to enforce")
    years = RETENTION_YEARS[regime]
    prunes: list[dict[str, Any]] = audit.get("prunes", [])
    if not prunes:
        return fails(f"no prune recorded in the audit trail ({years}-year retention)")
    oldest = audit.get("oldest_row_at")
    observed = datetime.fromisoformat(audit["observed_at"])
    if oldest and datetime.fromisoformat(oldest) < observed - timedelta(days=365 * years):
        return fails(f"rows from {oldest} are older than {years} years")
    return passes(f"{len(prunes)} prunes recorded, last {prunes[-1]['at']}; oldest row {oldest}")


def evidence_bundle_digested(evidence: Evidence) -> Verdict:
    digests = evidence.value("bundle_digests")
    if digests is None:
        return unknown(evidence.why_missing("bundle_digests"))
    problems = digests.get("problems", [])
    return judge(
        not problems and digests.get("files", 0) > 0,
        f"{digests.get('files')} files digested, all verify",
        "; ".join(problems)[:300] or "no file digested",
    )
