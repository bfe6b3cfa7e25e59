"""The monitors' configuration (YAML): window sizes, schedules, baselines and where alerts
go. Thresholds live in the alert rules (`alerting/rules.yaml`); this file says how often and
on how much data the values are computed."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from readiness.documents import load_document
from readiness.errors import InvalidConfiguration
from reference.platform.alerting.rules import DEFAULT_RULES, Action
from reference.platform.model.fairness import POLICY_FOLDER


class WindowConfig(BaseModel):
    """A drift and quality window closes at `rows` predictions or after `seconds`, whichever
    comes first; a window closed by time with fewer than `min_rows` predictions is judged on
    quality and latency only, since PSI on a handful of rows is noise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int = Field(default=1000, ge=1)
    seconds: float = Field(default=30.0, gt=0)
    min_rows: int = Field(default=200, ge=1)
    by_source: bool = False
    """Judge drift per source as well (each edge device, each gateway): drift on one device
    of a fleet is diluted in the fleet's window; the worst source's PSI is the alert's
    value, and its detail names the source."""


class PerformanceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: int = Field(default=200, ge=1)
    """Labelled predictions per performance window."""
    seconds: float = Field(default=30.0, gt=0)
    min_labels: int = Field(default=50, ge=1)


class FairnessConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    every_seconds: float = Field(default=7 * 24 * 3600, gt=0)
    """The whitepaper's weekly review; scenarios set it down to minutes or seconds."""
    min_labels: int = Field(default=500, ge=1)
    max_labels: int = Field(default=20_000, ge=1)
    """The most recent labelled predictions a fairness run looks at."""
    policy: Path = POLICY_FOLDER / "income-eligibility.yaml"


class LatencyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    baseline_p99_ms: float | None = Field(default=None, gt=0)
    """Fixed baseline; when unset, the median p99 of the first `baseline_windows` windows."""
    baseline_windows: int = Field(default=3, ge=1)


class GlobalReportConfig(BaseModel):
    """The scheduled global explanation of the champion on its recent traffic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    every_seconds: float = Field(default=7 * 24 * 3600, gt=0)
    rows: int = Field(default=2000, ge=1)
    """The most recent logged predictions the report describes."""


class RetentionConfig(BaseModel):
    """Scheduled pruning of the audit store to a retention policy, so retention is enforced
    rather than promised: the first prune at start, then every `every_seconds`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    policy: str = "standard"
    every_seconds: float = Field(default=24 * 3600, gt=0)


class RetrainingConfig(BaseModel):
    """What the `retrain` alert action starts: `readiness retrain --trigger performance`
    against the deployment, as a process of its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    """False: the action is recorded as failed (no retrainer); tests and scenarios that
    only want the rollback turn it off rather than pay for a training run."""
    quick: bool = False
    policy: Path | None = None
    """Retraining policy YAML (default: the shipped `policies/retraining.yaml`)."""


class MonitorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window: WindowConfig = WindowConfig()
    performance: PerformanceConfig = PerformanceConfig()
    fairness: FairnessConfig = FairnessConfig()
    latency: LatencyConfig = LatencyConfig()
    correlation_tolerance: float = Field(default=0.2, ge=0, le=2)
    poll_seconds: float = Field(default=1.0, gt=0)
    rules: Path = DEFAULT_RULES
    retraining: RetrainingConfig = RetrainingConfig()
    global_report: GlobalReportConfig = GlobalReportConfig()
    retention: RetentionConfig = RetentionConfig()
    disabled_actions: list[Action] = []
    """Alert actions this deployment does not take (e.g. `rollback`: alerts still fire,
    nobody acts on them automatically)."""
    page_webhook: str | None = None
    ticket_webhook: str | None = None


def load_config(path: Path | None) -> MonitorConfig:
    if path is None:
        return MonitorConfig()
    return load_document(path, MonitorConfig, InvalidConfiguration, "monitor configuration")
