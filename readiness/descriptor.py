"""The target descriptor: how the harness and the assessment reach a deployment.

A contract between components, so it lives here rather than in any one of them. It holds
only what a user's own system could offer too: endpoints, credentials by environment
variable, the registry and model name, fault hooks, SLOs. Our reference systems write one
on `readiness up`; nothing downstream may reach them any other way.
"""

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from readiness.documents import load_document
from readiness.errors import InvalidDescriptor

SCHEMA_VERSION = 1
ARCHITECTURES = ("microservice", "event-driven", "edge")
"""The reference architectures `readiness up` and `readiness run` know by name."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pattern(StrEnum):
    REAL_TIME = "real-time"
    STREAMING = "streaming"
    EDGE = "edge"


class SLOs(_Strict):
    p99_latency_ms: float = Field(gt=0)
    error_rate: float = Field(ge=0, le=1)
    availability: float = Field(ge=0, le=1)


class Endpoints(_Strict):
    predict: str
    health: str
    ready: str | None = None
    metrics: str | None = None
    openapi: str | None = None
    explain: str | None = None
    feedback: str | None = None
    admin: str | None = None
    """Base URL of the admin routes (promote, rollback, routing, deployments)."""
    counterfactual: str | None = None
    monitor_metrics: str | None = None
    """Prometheus metrics of the deployment's monitors (drift, quality, performance,
    fairness, alerts firing)."""
    results: str | None = None
    """For a target that answers later (a stream): `POST {"request_ids": [...]}` answers
    `{"results": [{"request_id", "predictions", "actions", "completed_at"}]}`, what became
    of each accepted request. The harness counts lost and duplicated results and the
    end-to-end latency with it."""


class Credentials(_Strict):
    api_key_env: str | None = None
    admin_key_env: str | None = None
    env_file: Path | None = None
    """A file of VAR=value lines holding those variables, where the deployment wrote one."""
    header: str = Field(default="x-api-key", pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
    """The request header that carries the key (`Authorization`, `x-api-key`, your own)."""
    scheme: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._~+/-]+$")
    """Written before the key in that header (`Bearer` gives `Authorization: Bearer KEY`)."""

    def header_value(self, key: str) -> str:
        return f"{self.scheme} {key}" if self.scheme else key


class RegistryAliases(_Strict):
    """The registry aliases that name what serves and what a rollback returns to."""

    champion: str = "champion"
    previous: str = "previous"


class Registry(_Strict):
    uri: str
    model: str
    served_version: str | None = None
    """The registry version the target serves, for a target whose answers name none."""
    aliases: RegistryAliases = RegistryAliases()


class ProtocolKind(StrEnum):
    """How a prediction is asked for and answered (`harness.protocols` speaks each)."""

    READINESS = "readiness"
    """This project's API: `{"instances": [...]}` -> `{"request_id", "predictions": [{...,
    "version"}]}`."""
    KSERVE_V1 = "kserve-v1"
    """KServe V1 and TensorFlow Serving: `{"instances": [...]}` -> `{"predictions": [...]}`."""
    OPEN_INFERENCE = "open-inference-v2"
    """Open Inference Protocol V2 (KServe V2, Triton, MLServer): `{"inputs": [tensors]}` ->
    `{"outputs": [tensors], "model_version", "id"}`."""
    MLFLOW = "mlflow"
    """`mlflow models serve` /invocations: `dataframe_split`, `dataframe_records` or
    `inputs` -> `{"predictions": [...]}`."""
    TEMPLATE = "template"
    """A JSON body of your own (`body`), answers read at the paths given."""


class Protocol(_Strict):
    kind: ProtocolKind = ProtocolKind.READINESS
    mlflow_format: Literal["dataframe_split", "dataframe_records", "inputs"] = "dataframe_split"
    v2_inputs: Literal["columns", "tensor"] = "columns"
    """Open Inference: one input tensor per column (each named after it, as MLServer's
    pandas codec reads them), or one FP64 tensor of every column in order."""
    body: Any = None
    """template: the body, where the string "{{instances}}" stands for the list of rows and
    "{{instance}}" for a single row."""
    predictions: str | None = None
    """A dotted path to the predictions in the answer (`predictions`, `outputs.0.data`);
    default: the protocol's own."""
    version: str | None = None
    """Where the answering model version is: a dotted path in the body, or `header:NAME`."""
    request_id: str | None = None
    """Where the request id is: a dotted path in the body, or `header:NAME`."""
    feedback_body: Any = None
    """template: the feedback body, with "{{request_id}}" and "{{label}}" standing for them
    (default `{"labels": [{"request_id", "label"}]}`)."""

    @model_validator(mode="after")
    def _template_has_a_body(self) -> "Protocol":
        if self.kind is ProtocolKind.TEMPLATE and self.body is None:
            raise ValueError("a template protocol needs its body")
        return self


class DataSpec(_Strict):
    """The system's own data: rows it accepts, and what some columns mean. Every request
    the harness sends is built from these rows."""

    rows: Path
    """A CSV or parquet file of rows the system accepts (a column per input)."""
    label: str | None = None
    """The true outcome column, reported as feedback; never sent as an input."""
    groups: list[str] = []
    """Columns of the groups fairness is judged over (e.g. sex); never sent as inputs
    unless the request schema names them."""
    id: str | None = None
    """A row id column (an entity key); never sent unless the request schema names it."""
    personal: list[str] = []
    """Columns holding personal data: the harness plants recognisable canaries in them and
    looks for those in the target's logs."""
    important: list[str] = []
    """The numeric columns that matter most to the model, which drift shifts (default:
    those most correlated with the label, else those with the widest spread)."""
    instance_schema: Path | None = None
    """A JSON Schema of one instance: the first source of the request schema."""
    bias_group: dict[str, str] | None = None
    """The group a bias scenario biases, as {column: value} (default: the least frequent
    value of the first group column)."""


METRIC_SIGNALS = ("requests", "latency", "drift", "data_quality", "model_quality", "fallback",
                  "utilisation")  # fmt: skip
"""The signals a descriptor can map to a metric family of its own."""


class Conventions(_Strict):
    """Names the probes read where a system does not use the common ones."""

    metrics: dict[str, str] = {}
    """Signal -> metric family name, e.g. {"requests": "api_calls_total", "latency":
    "api_call_seconds"}; signals: see METRIC_SIGNALS."""

    @field_validator("metrics")
    @classmethod
    def _known_signals(cls, metrics: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(metrics) - set(METRIC_SIGNALS))
        if unknown:
            raise ValueError(f"unknown signal {', '.join(unknown)} (known: "
                             f"{', '.join(METRIC_SIGNALS)})")  # fmt: skip
        return metrics


class FaultHook(_Strict):
    """One way to break the target on purpose: POST `payload` to `target` (http), or run
    `target` (shell)."""

    name: str
    kind: str = Field(pattern="^(http|shell)$")
    target: str
    payload: dict[str, Any] = {}
    undo: str | None = None
    """The name of the hook that reverses this one; the harness calls it at the end of a
    scenario whatever happened. It must be safe to call when the fault is already gone."""


class Capability(StrEnum):
    """Infrastructure of the whitepaper's scaling table."""

    LOAD_BALANCER = "load-balancer"
    AUTOSCALING = "autoscaling"
    REQUEST_QUEUE = "request-queue"
    CACHING = "caching"
    MULTI_REGION = "multi-region"
    MODEL_PARALLELISM = "model-parallelism"
    CUSTOM_SILICON = "custom-silicon"
    EDGE_POPS = "edge-pops"


class Scale(_Strict):
    requests_per_day: int = Field(gt=0)
    peak_rps: float | None = Field(default=None, gt=0)
    max_replicas: int | None = Field(default=None, ge=1)
    capabilities: list[Capability] = []


class Resilience(_Strict):
    timeout_s: float = Field(gt=0)
    retries: int = Field(ge=0)


class Cost(_Strict):
    cpu_seconds_per_1k: float = Field(gt=0)
    """Budget: CPU seconds of serving per 1,000 predictions."""


class Governance(_Strict):
    fairness_policy: Path | None = None
    retention_years: int | None = Field(default=None, ge=1)


class Compliance(_Strict):
    regime: Literal["regulated", "standard"]
    """regulated: 7-year retention; standard: 2-year."""
    controls: Path | None = None
    """The control mapping: requirements -> controls -> probes."""


class Team(_Strict):
    owners: list[str] = []
    on_call: Path | None = None
    runbook_root: Path | None = None
    """Where relative `runbook_url` annotations resolve (default: the rules file's folder)."""


class FeatureStoreRef(_Strict):
    kind: Literal["feast"] = "feast"
    registry: Path
    project: str


class TargetDescriptor(_Strict):
    schema_version: int = SCHEMA_VERSION
    name: str
    architecture: str
    pattern: Pattern
    profile: str
    model: str | None = None
    """The served model's name, filling `{model}` in endpoint URLs (default: the registry's
    model name)."""
    slos: SLOs
    endpoints: Endpoints
    protocol: Protocol = Protocol()
    data: DataSpec | None = None
    credentials: Credentials = Credentials()
    registry: Registry | None = None
    conventions: Conventions = Conventions()
    audit_store: str | None = None
    fault_hooks: list[FaultHook] = []
    attestations: Path | None = None
    policy: Path | None = None
    scale: Scale | None = None
    resilience: Resilience | None = None
    cost: Cost | None = None
    governance: Governance | None = None
    compliance: Compliance | None = None
    team: Team | None = None
    alert_rules: Path | None = None
    """A Prometheus rules file; each rule's `severity` label and `runbook_url` annotation
    are read."""
    feature_store: FeatureStoreRef | None = None
    logs: list[Path] = []
    """Log files the assessment scans for keys and raw PII."""

    def resolve(self, path: Path, base: Path) -> Path:
        """A path the descriptor names, relative to the descriptor's folder `base`."""
        return path if path.is_absolute() else base / path

    def hook(self, name: str) -> FaultHook | None:
        return next((hook for hook in self.fault_hooks if hook.name == name), None)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False))
        return path


def load_descriptor(path: Path) -> TargetDescriptor:
    return load_document(path, TargetDescriptor, InvalidDescriptor, "target descriptor")
