"""The catalogue of evidence: every name a probe may ask for, and who provides it.

The probe registry refuses a probe that names evidence not listed here, and a test checks
that the collectors provide exactly these names, so a misspelt name breaks at start-up
rather than scoring quietly as unknown.
"""

FINDINGS = "findings"
"""The evidence of probes about other probes: the findings of the same assessment."""

EVIDENCE: dict[str, str] = {
    "descriptor": "descriptor: the target descriptor as declared",
    "alert_rules": "descriptor: the Prometheus rules file it names, with runbooks resolved",
    "governance_files": "descriptor: the fairness policy and on-call files it names",
    "control_mapping": "descriptor: the control mapping file it names",
    "attestations": "attestations: the people's answers file it names",
    "request_schema": "live: the request schema the target publishes (OpenAPI body, model "
    "signature, Open Inference metadata) or the descriptor names, else inferred from rows",
    "service_metrics": "metrics: the metrics endpoint, scraped",
    "monitor_metrics": "metrics: the monitors' metrics endpoint, scraped",
    "model_info": "metrics: the served model's version and artifact sha256 (`*_model_info`)",
    "health": "live: the health and readiness endpoints",
    "low_load": "live: sequential predictions at low load (after untimed warm-up ones)",
    "access_control": "live: credential, entitlement, admin-role and quota checks",
    "input_validation": "live: a short campaign of malformed requests",
    "explanation": "live: the explanation of one prediction",
    "registry": "registry: the MLflow registry's record of the served model",
    "feature_store": "features: the feature store's registered definitions",
    "audit_store": "audit: the audit store's tables, chains and events",
    "tamper_check": "audit: a row altered in a copy of the store, and whether the chain saw it",
    "log_scan": "logs: the declared logs and prediction log scanned for keys and raw PII",
    "scenarios": "bundle: each scenario's expectations and their outcomes",
    "scenario_metrics": "bundle: figures computed from the scenarios' metric samples",
    "bundle_digests": "bundle: the sha256 of every file, checked",
    "findings": "engine: the other probes' findings (for probes about probes)",
}
