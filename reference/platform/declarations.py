"""What every production reference deployment declares beyond its endpoints, whatever its
architecture: its fairness policy and retention, compliance regime and control mapping,
owners and runbooks, alert rules, feature store and logs. Read by the assessment as any
user's descriptor would be; each architecture adds its own scale, timeouts and budget."""

from pathlib import Path
from typing import Any

from readiness.descriptor import Compliance, FeatureStoreRef, Governance, Team
from readiness.home import Home
from reference.platform.fairness import USE_CASE_POLICY

PLATFORM = Path(__file__).resolve().parent
REPOSITORY = PLATFORM.parent.parent
"""The repository root: the alert rules' runbook links (docs/runbooks.md) resolve from it."""
CONTROLS = PLATFORM / "compliance" / "controls.yaml"
ALERT_RULES = PLATFORM / "alerting" / "prometheus-rules.yml"


def platform_declarations(home: Home, logs: list[Path]) -> dict[str, Any]:
    from reference.platform.features.repo import PROJECT as FEATURE_PROJECT  # imports Feast

    return {
        "governance": Governance(fairness_policy=USE_CASE_POLICY, retention_years=2),
        "compliance": Compliance(regime="standard", controls=CONTROLS),
        "team": Team(owners=["ml-platform"], runbook_root=REPOSITORY),
        "alert_rules": ALERT_RULES,
        "feature_store": FeatureStoreRef(registry=home.feature_repo / "registry.db",
                                         project=FEATURE_PROJECT),
        "logs": logs,
    }  # fmt: skip
