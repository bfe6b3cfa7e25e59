"""Gate policies: what an assessment must reach for a pipeline to go on.

A policy (YAML, versioned) sets a minimum total, per-dimension minimums each enforced,
advisory or disabled, probes that must pass whatever the score, and exemptions with a
reason, an owner and an expiry date. An expired exemption no longer applies."""

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assessment.rubric import DIMENSIONS, MAX_LEVEL, rubric
from readiness.documents import load_document
from readiness.errors import InvalidPolicy
from readiness.resources import shipped

POLICY_SCHEMA_VERSION = 1
POLICY_FOLDER = shipped("assessment", "policies")
WHITEPAPER_POLICY = POLICY_FOLDER / "whitepaper.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Mode(StrEnum):
    ENFORCED = "enforced"
    ADVISORY = "advisory"
    """Reported, never fails the gate."""
    DISABLED = "disabled"


class DimensionRule(_Strict):
    min: int = Field(ge=1, le=MAX_LEVEL)
    mode: Mode = Mode.ENFORCED


class Exemption(_Strict):
    """Waives one required probe, or one dimension's minimum, until `expires`."""

    probe: str | None = None
    dimension: str | None = None
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        if (self.probe is None) == (self.dimension is None):
            raise ValueError("an exemption names exactly one of probe or dimension")
        return self

    @property
    def subject(self) -> str:
        return f"probe {self.probe}" if self.probe else f"dimension {self.dimension}"

    def active(self, today: date) -> bool:
        return today <= self.expires


class Policy(_Strict):
    schema_version: int = Field(ge=1, le=POLICY_SCHEMA_VERSION)
    name: str = Field(min_length=1)
    description: str = ""
    min_total: int = Field(default=10, ge=10, le=50)
    dimensions: dict[str, DimensionRule] = {}
    required_probes: list[str] = []
    exemptions: list[Exemption] = []

    @model_validator(mode="after")
    def _known_names(self) -> Self:
        probes = {p.id for p in rubric().probes}
        for name in self.dimensions:
            if name not in DIMENSIONS:
                raise ValueError(f"dimensions.{name}: not a dimension ({', '.join(DIMENSIONS)})")
        for index, probe in enumerate(self.required_probes):
            if probe not in probes:
                raise ValueError(f"required_probes.{index}: no probe '{probe}' in the rubric")
        for index, exemption in enumerate(self.exemptions):
            if exemption.probe is not None and exemption.probe not in probes:
                raise ValueError(f"exemptions.{index}.probe: no probe '{exemption.probe}'")
            if exemption.dimension is not None and exemption.dimension not in DIMENSIONS:
                raise ValueError(
                    f"exemptions.{index}.dimension: no dimension '{exemption.dimension}'"
                )
        return self


def shipped_policies() -> list[str]:
    return sorted(path.stem for path in POLICY_FOLDER.glob("*.yaml"))


def policy_path(name_or_path: str | Path) -> Path:
    """A shipped gate policy by name (`whitepaper`), or a path to a policy of one's own."""
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.suffix in (".yaml", ".yml") or "/" in text or candidate.exists():
        return candidate
    shipped_file = POLICY_FOLDER / f"{text}.yaml"
    if not shipped_file.is_file():
        known = ", ".join(shipped_policies())
        raise InvalidPolicy(f"--policy: '{text}' is neither a file nor a shipped policy ({known})")
    return shipped_file


def load_policy(name_or_path: str | Path) -> Policy:
    return load_document(policy_path(name_or_path), Policy, InvalidPolicy, "gate policy")
