"""What every production reference deployment declares beyond its endpoints, whatever its
architecture: its fairness policy and retention, compliance regime and control mapping,
owners and runbooks, alert rules, feature store and logs. Read by the assessment as any
user's descriptor would be; each architecture adds its own scale, timeouts and budget."""

from pathlib import Path
from typing import Any

from readiness.descriptor import (
    Compliance,
    Credentials,
    Endpoints,
    FaultHook,
    FeatureStoreRef,
    Governance,
    Pattern,
    Registry,
    SLOs,
    TargetDescriptor,
    Team,
)
from readiness.home import Home
from readiness.resources import shipped
from reference.platform.deploy.request_rows import declare_adult
from reference.platform.model.fairness import USE_CASE_POLICY

PLATFORM = shipped("reference.platform")
RUNBOOKS = PLATFORM / "alerting"
"""Where the alert rules' runbook links (runbooks.md#...) resolve: beside the rules."""
CONTROLS = PLATFORM / "compliance" / "controls.yaml"
ALERT_RULES = PLATFORM / "alerting" / "prometheus-rules.yml"


def platform_declarations(home: Home, logs: list[Path]) -> dict[str, Any]:
    from reference.platform.features.repo import PROJECT as FEATURE_PROJECT  # imports Feast

    return {
        "governance": Governance(fairness_policy=USE_CASE_POLICY, retention_years=2),
        "compliance": Compliance(regime="standard", controls=CONTROLS),
        "team": Team(owners=["ml-platform"], runbook_root=RUNBOOKS),
        "alert_rules": ALERT_RULES,
        "feature_store": FeatureStoreRef(registry=home.feature_repo / "registry.db",
                                         project=FEATURE_PROJECT),
        "logs": logs,
    }  # fmt: skip


def answering_descriptor(
    architecture: str,
    pattern: Pattern,
    slos: SLOs,
    base: str,
    home: Home,
    credentials: Path | None,
    monitor: str | None,
    hooks: list[FaultHook],
    declarations: dict[str, Any],
) -> TargetDescriptor:
    """The descriptor of a deployment whose front offers the project's API on `base`
    (predict, health, readiness, metrics, OpenAPI, feedback, results; admin in
    production): the production one when `credentials` are given, else the prototype's."""
    from reference.platform.deploy.deployment_keys import ADMIN_KEY_ENV, API_KEY_ENV
    from reference.platform.model.served import SERVED_MODEL

    production = credentials is not None
    profile = "production" if production else "prototype"
    return TargetDescriptor(
        name=f"readiness-{architecture}-{profile}", architecture=architecture, pattern=pattern,
        profile=profile, model=SERVED_MODEL, slos=slos,
        endpoints=Endpoints(
            predict=f"{base}/v1/models/{{model}}/predict", health=f"{base}/healthz",
            ready=f"{base}/readyz", metrics=f"{base}/metrics", openapi=f"{base}/openapi.json",
            feedback=f"{base}/v1/feedback", results=f"{base}/v1/results",
            admin=f"{base}/v1/admin/models/{{model}}" if production else None,
            monitor_metrics=monitor,
        ),
        credentials=Credentials(api_key_env=API_KEY_ENV, admin_key_env=ADMIN_KEY_ENV,
                                env_file=credentials) if production else Credentials(),
        registry=Registry(uri=home.mlflow_tracking_uri, model=SERVED_MODEL) if production else None,
        audit_store=home.audit_url if production else None,
        data=declare_adult(home),
        fault_hooks=hooks,
        **declarations,
    )  # fmt: skip
