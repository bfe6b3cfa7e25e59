"""The microservice's settings, as `readiness up` writes them and the service reads them:
the gateway's switches, tenants and limits, the Ray Serve replicas, and the service around
them. Kept apart from `gateway` and `service` (Ray, SHAP and the model stack on import) so
that writing a deployment's configuration needs none of them."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from reference.platform.deploy.profile import Profile
from reference.platform.serving.auth import TenantKey
from reference.platform.serving.instances import DEFAULT_MAX_BATCH
from reference.platform.serving.ratelimit import RateLimit


class Switches(BaseModel):
    """Each production feature, on or off alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: bool = True
    rate_limit: bool = True
    validation: bool = True
    cache: bool = True
    metrics: bool = True
    prediction_log: bool = True
    admin: bool = True
    explain: bool = True
    """The explain and counterfactual routes."""
    monitoring: bool = True
    """Sketches of every prediction and refusal for the monitors."""


class GatewaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenants: list[TenantKey] = []
    limits: dict[str, RateLimit] = {}
    max_batch: int = Field(default=DEFAULT_MAX_BATCH, ge=1)
    max_explain_batch: int = Field(default=16, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1)
    cache_ttl_s: float = Field(default=300.0, gt=0)
    switches: Switches = Switches()


class ReplicaOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(default=2, ge=1)
    cpus_per_replica: float = Field(default=0.5, gt=0)
    timeout_s: float = Field(default=5.0, gt=0)
    attempts: int = Field(default=3, ge=1)
    ray_cpus: int = Field(default=4, ge=1)
    max_in_flight: int = Field(default=4, ge=0)
    """Remote calls outstanding per version before requests wait for the next call. 2 gave
    the best throughput of one replica here (2,001 against 1,758 req/s at concurrency 64
    with 4), but Serve then never sees a replica hold more than 2 calls and never scales
    out: 4, twice the autoscaling target, buys autoscaling for about 12% of peak throughput."""
    target_ongoing_requests: float = Field(default=2.0, gt=0)
    max_batch_size: int = Field(default=256, ge=1)
    background_rows: int = Field(default=50, ge=1, le=1000)


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: Profile
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    model: str
    alias: str = "champion"
    tracking_uri: str
    feature_repo: Path
    model_file: Path | None = None
    cache_dir: Path
    prediction_log_url: str | None = None
    pii_policy: Path | None = None
    """The PII policy applied to logged features; default: the packaged `pii.yaml`."""
    pii_key_file: Path | None = None
    """Where the PII key is kept when `READINESS_PII_KEY` is unset; default: the home's."""
    fault_file: Path | None = None
    """Set only to enable the harness's fault hooks."""
    gateway: GatewaySettings
    replicas: ReplicaOptions = ReplicaOptions()
