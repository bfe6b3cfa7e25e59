"""Governance: are explainability, bias checks and audit trails operational?"""

import json
from typing import Any

from assessment.probes import Evidence, Verdict, fails, judge, passes, unknown
from assessment.probes.mlops import served_record, served_versions

LOCAL_ACCURACY = 1e-3
AUDIT_TABLES = ("predictions", "deployment_log", "lineage")


def declares_fairness_and_retention_policy(evidence: Evidence) -> Verdict:
    declared, files = evidence.value("descriptor"), evidence.value("governance_files")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    governance = declared.get("governance") or {}
    policy = (files or {}).get("fairness_policy") or {}
    problems = []
    if not policy.get("found"):
        problems.append(policy.get("problem") or "no fairness policy declared")
    if not governance.get("retention_years") and not declared.get("compliance"):
        problems.append("no retention period declared")
    if problems:
        return fails("; ".join(problems))
    return passes(
        f"fairness policy {policy.get('file')} ({policy.get('rules')} rules), "
        f"retention {governance.get('retention_years') or 'by regime'}"
    )


def _explanations(evidence: Evidence) -> tuple[list[dict[str, object]], str]:
    answer = evidence.value("explanation")
    if answer is None:
        return [], evidence.why_missing("explanation")
    if answer.get("status") != 200:
        return [], f"the explain endpoint answered {answer.get('status')}"
    found = answer.get("explanations") or []
    return [e for e in found if isinstance(e, dict)], "" if found else "no explanation returned"


def explains_a_prediction(evidence: Evidence) -> Verdict:
    found, why = _explanations(evidence)
    if why:
        return fails(why) if evidence.value("explanation") is not None else unknown(why)
    count = len(found[0].get("attributions") or {})  # type: ignore[arg-type]
    return judge(count > 0, f"{count} attributions for one prediction", "no attribution returned")


def attributions_are_locally_accurate(evidence: Evidence) -> Verdict:
    found, why = _explanations(evidence)
    if why:
        return unknown(why)
    worst = 0.0
    for explanation in found:
        try:
            base, output = float(explanation["base_value"]), float(explanation["output"])  # type: ignore[arg-type]
            attributions: dict[str, Any] = explanation["attributions"]  # type: ignore[assignment]
            total = sum(float(v) for v in attributions.values())
        except (KeyError, TypeError, ValueError, AttributeError):
            return fails("explanations lack base_value, output or attributions")
        worst = max(worst, abs(base + total - output))
    return judge(
        worst <= LOCAL_ACCURACY,
        f"base + sum(attributions) = output within {worst:.2g}",
        f"attributions miss the output by {worst:.3g} (> {LOCAL_ACCURACY:g})",
    )


def training_fairness_within_policy(evidence: Evidence) -> Verdict:
    served, record, why = served_record(evidence)
    if record is None:
        return unknown(why)
    tags = record.get("tags", {})
    if "fairness.violations" not in tags:
        return fails(f"version {served} records no fairness report (fairness.violations)")
    violations = json.loads(tags["fairness.violations"])
    return judge(
        not violations,
        f"version {served}: no violation of policy {tags.get('fairness.policy', '?')}",
        f"version {served} violates: {'; '.join(map(str, violations))[:200]}",
    )


def audit_trail_with_lineage_and_hashed_pii(evidence: Evidence) -> Verdict:
    audit = evidence.value("audit_store")
    if audit is None:
        return unknown(evidence.why_missing("audit_store"))
    rows = audit.get("rows", {})
    empty = [table for table in AUDIT_TABLES if not rows.get(table)]
    if empty:
        return fails(f"no rows in {', '.join(empty)}")
    if not audit.get("chains_ok"):
        return fails(f"the hash chains do not verify: {audit.get('chain_problem')}")
    served = served_versions(evidence)
    lineage = set(audit.get("lineage_versions", []))
    if served and not set(served) & lineage:
        return fails(f"no lineage row for served version {', '.join(served)}")
    sampled, logged = audit.get("sampled_predictions", 0), audit.get("sampled_logged", 0)
    if logged < sampled:
        return fails(f"only {logged} of {sampled} live predictions are in the prediction log")
    if audit.get("raw_pii_rows"):
        return fails(
            f"{audit['raw_pii_rows']} logged rows hold, in clear, a canary the "
            "harness planted in a personal-data column"
        )
    return passes(
        f"{rows['predictions']:,} predictions, {rows['deployment_log']} deployments, "
        f"lineage of {', '.join(sorted(lineage))}; chains verify; PII hashed in "
        f"{audit.get('pii_checked_rows', 0)} rows checked"
    )


def audit_tampering_detected(evidence: Evidence) -> Verdict:
    check = evidence.value("tamper_check")
    if check is None:
        return unknown(evidence.why_missing("tamper_check"))
    return judge(
        bool(check.get("detected")),
        f"altered {check.get('altered')}: {check.get('found')}",
        f"altered {check.get('altered')} and the chain still verifies",
    )
