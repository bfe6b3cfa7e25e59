"""The contract between the harness and its traffic process: what to send, and where the
process writes every request it made."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.system.shaping import Shaping
from harness.traffic.transforms import TRANSFORMS
from readiness.descriptor import Credentials, Protocol

KEY_VARIABLE = "READINESS_TRAFFIC_API_KEY"
"""The API key reaches the process through its environment, never through a file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Strict):
    """`rate` requests a second for `seconds` (Locust's stages table, in requests)."""

    seconds: float = Field(gt=0, le=3600)
    rate: float = Field(ge=0, le=5000)


def _known_transform(name: str) -> str:
    if name not in TRANSFORMS:
        raise ValueError(f"unknown transform '{name}' (known: {', '.join(TRANSFORMS)})")
    return name


class TrafficSpec(_Strict):
    predict_url: str
    feedback_url: str | None = None
    protocol: Protocol = Protocol()
    shaping: Shaping
    credentials: Credentials = Credentials()
    """How the key (from the environment) is sent: its header and scheme."""
    canary_token: str = Field(pattern="^[0-9a-f]{8}$")
    """Planted in the personal-data columns of every request (`harness.system.canaries`)."""
    stages: list[Stage] = Field(min_length=1)
    feedback: float = Field(default=0.0, ge=0, le=1)
    """The share of answered predictions whose true label is reported as feedback."""
    transform: str = "none"
    seed: int = 0
    timeout_s: float = Field(default=10.0, gt=0)

    _transform = field_validator("transform")(_known_transform)


class TrafficControl(_Strict):
    """Written by the harness while traffic runs: the transform to apply from now on, and
    the factor on every stage's rate (10 for a tenfold spike)."""

    transform: str
    scale: float = Field(default=1.0, ge=0, le=100)
    since: float
    share: float = Field(default=1.0, gt=0, le=1)
    """The share of requests the transform applies to (drawn at random per request)."""
    headers: dict[str, str] = {}
    """Sent with the transformed requests only: `x-device` puts them on one device of a
    fleet, so a drift can be local to one device."""

    _transform = field_validator("transform")(_known_transform)


class TrafficFiles:
    """The files of one traffic process, in a folder of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def spec(self) -> Path:
        return self.folder / "spec.json"

    @property
    def control(self) -> Path:
        return self.folder / "control.json"

    @property
    def rows(self) -> Path:
        """The system's rows, one `TrafficRow` a line."""
        return self.folder / "rows.jsonl"

    @property
    def requests(self) -> Path:
        return self.folder / "requests.jsonl"

    @property
    def pid(self) -> Path:
        return self.folder / "traffic.pid"

    @property
    def log(self) -> Path:
        return self.folder / "traffic.log"
