"""The assessment: a serialisable result that every export and the app only read
(Evidently's `Snapshot`). `assessment.json` is this model; its schema is versioned."""

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from assessment.rubric import Remediation
from readiness.bundle import Outcome
from readiness.errors import InvalidInput

SCHEMA_VERSION = 1
MAX_TOTAL = 50
ASSESSMENT_FILE = "assessment.json"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Subject(_Record):
    """What was assessed: the system, as its descriptor named it, and the run."""

    name: str
    architecture: str
    pattern: str
    profile: str
    descriptor_digest: str
    descriptor_file: str = ""
    run_id: str
    run_started: float
    run_status: str
    code_version: str
    scenarios: list[str]


class Finding(_Record):
    probe: str
    dimension: str
    level: int
    question: str
    outcome: Outcome
    detail: str
    evidence: list[str]
    """Ids of the facts (`fact:NAME`) and scenario evidence records it was judged on."""
    attested: bool = False
    remediation: Remediation


class DimensionResult(_Record):
    id: str
    title: str
    question: str
    score: int
    target: int
    risk: int
    capped_by_attestation: bool
    explanation: str
    """Why this score and not the next: the level's blocking probes, or the cap."""
    passed: dict[int, list[str]]
    """The probes passed at each level up to the score."""
    blocking: list[str]
    """The failing or unknown probes just above the score."""
    findings: list[Finding]

    @property
    def gap(self) -> int:
        return max(self.target - self.score, 0)


class RoadmapStep(_Record):
    order: int
    days: int
    """30, 60 or 90: the bucket its cumulative effort falls in."""
    probe: str
    dimension: str
    level: int
    outcome: Outcome
    text: str
    effort: str
    reference: str
    priority: float
    """Gap to target x dimension risk / effort weight."""
    dimension_score_after: int
    total_after: int
    """What-if: the total with this step and every step before it passing."""


class Assessment(_Record):
    schema_version: int = SCHEMA_VERSION
    tool_version: str
    rubric_version: int
    subject: Subject
    total: int
    max_total: int = MAX_TOTAL
    targets_total: int
    dimensions: list[DimensionResult]
    roadmap: list[RoadmapStep]

    def dimension(self, id: str) -> DimensionResult:
        return next(d for d in self.dimensions if d.id == id)

    def findings(self) -> list[Finding]:
        return [f for d in self.dimensions for f in d.findings]


def read_assessment(path: Path, what: str) -> Assessment:
    """`path` as an assessment; `InvalidInput` naming `what` (the argument or bundle it came
    from), the file and the first problem otherwise."""
    try:
        return Assessment.model_validate_json(path.read_text())
    except OSError as problem:
        raise InvalidInput(f"{what}: cannot read {path}: {problem.strerror}") from problem
    except ValidationError as problem:
        first = problem.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InvalidInput(
            f"{what}: {path} is not an assessment: {where}: {first['msg']}"
        ) from None
