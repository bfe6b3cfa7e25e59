"""Security: is model access controlled, are inference inputs validated?"""

from typing import Any

from assessment.probes import Evidence, Verdict, fails, judge, not_applicable, passes, unknown
from readiness.bundle import Outcome

CHECK_OUTCOMES = {
    "pass": Outcome.PASS,
    "fail": Outcome.FAIL,
    "not_applicable": Outcome.NOT_APPLICABLE,
}


def declares_credentials(evidence: Evidence) -> Verdict:
    declared = evidence.value("descriptor")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    variable = (declared.get("credentials") or {}).get("api_key_env")
    return judge(bool(variable), f"API key from ${variable}", "no credentials declared")


PUBLISHED = {
    "openapi": "the OpenAPI request body",
    "mlflow-signature": "the MLflow model signature",
    "open-inference": "the Open Inference model metadata",
    "file": "the JSON Schema file the descriptor names",
}
"""Schema sources a system declares; `data` (inferred from its rows) is not one."""


def declares_input_schema(evidence: Evidence) -> Verdict:
    schema = evidence.value("request_schema")
    if schema is None:
        return unknown(evidence.why_missing("request_schema"))
    where = PUBLISHED.get(schema.get("source", ""))
    if where is None:
        passed = "; ".join(schema.get("passed_over", [])) or "no source declares one"
        return fails(f"the system publishes no request schema ({passed}); the harness "
                     "inferred one from its rows")  # fmt: skip
    required = schema.get("required_fields", [])
    return judge(
        bool(required),
        f"{len(required)} required fields declared by {where}",
        f"{where} requires no field",
    )


def _check(evidence: Evidence, *names: str) -> Verdict:
    checks: dict[str, Any] | None = evidence.value("access_control")
    if checks is None:
        return unknown(evidence.why_missing("access_control"))
    found = [checks.get(name) for name in names]
    if any(check is None for check in found):
        return unknown(
            f"not checked: {', '.join(n for n, c in zip(names, found, strict=True) if c is None)}"
        )
    outcomes = [CHECK_OUTCOMES.get(c["outcome"], Outcome.ERROR) for c in found]  # type: ignore[index]
    details = "; ".join(dict.fromkeys(str(c["detail"]) for c in found))  # type: ignore[index]
    if all(o is Outcome.NOT_APPLICABLE for o in outcomes):
        return not_applicable(details)
    if any(o is Outcome.FAIL for o in outcomes):
        return fails(details)
    if all(o in (Outcome.PASS, Outcome.NOT_APPLICABLE) for o in outcomes):
        return passes(details)
    return unknown(details)


def predict_refuses_missing_credentials(evidence: Evidence) -> Verdict:
    """Not applicable only where nothing is known of the target's access control; a target
    that answered a predict without any key refuses nothing, declared or not."""
    found = _check(evidence, "predict_refuses_missing_credentials")
    checks = evidence.value("access_control") or {}
    observed = (checks.get("predict_refuses_missing_credentials") or {}).get("observed")
    if found.outcome is Outcome.NOT_APPLICABLE and observed and 200 <= int(observed) < 300:
        return fails(f"{found.detail}: anyone can call it")
    return found


def predict_refuses_wrong_key(evidence: Evidence) -> Verdict:
    return _check(evidence, "predict_refuses_wrong_key")


def refuses_another_tenants_model(evidence: Evidence) -> Verdict:
    return _check(evidence, "predict_refuses_unentitled_model")


def admin_routes_need_admin_role(evidence: Evidence) -> Verdict:
    return _check(evidence, "admin_refuses_missing_credentials", "admin_refuses_user_key")


def bursts_get_429_with_retry_after(evidence: Evidence) -> Verdict:
    return _check(evidence, "burst_gets_429_with_retry_after")


def malformed_input_gets_4xx(evidence: Evidence) -> Verdict:
    campaign = evidence.value("input_validation")
    if campaign is None:
        return unknown(evidence.why_missing("input_validation"))
    bad = {
        "server errors": campaign["server_errors"],
        "crashes": campaign["transport_errors"],
        "invalid bodies accepted": campaign["accepted_invalid"],
    }
    found = ", ".join(f"{count} {what}" for what, count in bad.items() if count)
    return judge(
        not found,
        f"{campaign['requests']} malformed requests: statuses {campaign['status_counts']}",
        f"of {campaign['requests']}: {found}",
    )


def artifact_integrity_verified(evidence: Evidence) -> Verdict:
    registry, info = evidence.value("registry"), evidence.value("model_info")
    if registry is None or info is None:
        return unknown(evidence.why_missing("registry" if registry is None else "model_info"))
    checked = []
    for entry in info:
        recorded = registry.get("versions", {}).get(str(entry.get("version")), {})
        expected = recorded.get("tags", {}).get("artifact_sha256")
        if not expected:
            return fails(f"the registry records no sha256 for version {entry.get('version')}")
        if entry.get("sha256") != expected:
            return fails(
                f"version {entry.get('version')} serves {entry.get('sha256')}, the "
                f"registry recorded {expected}"
            )
        checked.append(str(entry.get("version")))
    if not checked:
        return unknown("the model-info metric names no served version")
    return passes(f"served sha256 = registry record for version {', '.join(checked)}")


def no_secret_or_raw_pii_in_logs(evidence: Evidence) -> Verdict:
    scan = evidence.value("log_scan")
    if scan is None:
        return unknown(evidence.why_missing("log_scan"))
    if not scan.get("sources"):
        return unknown("no log was declared or readable to scan")
    findings = scan.get("findings", [])
    personal = scan.get("personal_columns") or []
    planted = (
        f"no canary planted in {', '.join(personal)}"
        if personal
        else "no canary (no personal-data column declared, so none was planted)"
    )
    return judge(
        not findings,
        f"{scan['lines']:,} lines in {len(scan['sources'])} sources: no key, {planted}",
        "; ".join(findings)[:300],
    )
