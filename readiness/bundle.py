"""The evidence bundle's format: one folder per run, which the harness writes and the
assessment and the reports read; its records, its manifest, and how it is sealed.

manifest.json        what ran against what: target and its digest, profile, tool and
                     package versions, git sha, seeds, times, per-scenario status
journal.jsonl        every step of every scenario (start, end, duration, status, output,
                     error), as Chaos Toolkit journals activities
evidence.jsonl       facts with provenance: each expectation's measure against its
                     tolerance, each steady-state probe
timeseries/NAME.parquet  samples of the target's metrics and per-second traffic series
                     (latency percentiles, throughput, error rate), long format
requests/NAME.parquet    every request the scenario's traffic made
scenarios/NAME.yaml  the scenario files as run
"""

import hashlib
import json
import platform
import time
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from readiness import __version__
from readiness.errors import InvalidInput
from readiness.provenance import code_version

SCHEMA_VERSION = 1
MANIFEST_FILE = "manifest.json"
PACKAGES = ("readiness", "locust", "chaostoolkit-lib", "httpx", "pydantic", "pandas", "pyarrow")


class Phase(StrEnum):
    PREFLIGHT = "preflight"
    BEFORE = "steady-state-before"
    METHOD = "method"
    AFTER = "steady-state-after"
    ROLLBACK = "rollback"


class StepStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class Outcome(StrEnum):
    """The framework's outcomes of a fact: unknown is never a pass and never a zero."""

    PASS = "pass"
    FAIL = "fail"
    NOT_AVAILABLE = "not_available"
    """Nothing to judge by: the step did not run, the target exports no such metric."""
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    """The probe itself failed (its step raised)."""


class ScenarioStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_MEASURED = "not_measured"
    ABORTED = "aborted"
    """The steady state did not hold before the fault, so nothing was injected."""
    INVALID = "invalid"
    """The target refused more than 5% of the valid rows before the fault: nothing measured
    over its traffic means anything (the data or the protocol is wrong)."""
    NOT_APPLICABLE = "not_applicable"
    """The scenario needs a fault hook the descriptor does not declare; it was not started."""
    NOT_RUN = "not_run"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepRecord(_Record):
    """One line of `journal.jsonl`: a step of a scenario, as Chaos Toolkit journals one."""

    scenario: str
    phase: Phase
    step: str
    activity: str
    """`module.function` of the provider."""
    arguments: dict[str, Any]
    started: float
    ended: float
    duration_s: float
    status: StepStatus
    output: Any = None
    error: str | None = None
    tolerance_met: bool | None = None


class Provenance(_Record):
    scenario: str
    step: str | None
    source: str
    """The endpoint or store asked (URLs), or the step whose output was read."""
    observed_at: float
    tool_version: str
    code_version: str
    deployment_digest: str


class Evidence(_Record):
    """One line of `evidence.jsonl`: a fact, with where it came from."""

    id: str
    kind: str
    """expectation | probe | preflight"""
    name: str
    dimensions: list[str]
    value: float | bool | int | str | None
    unit: str = ""
    outcome: Outcome
    tolerance: str = ""
    detail: str = ""
    measure: str | None = None
    provenance: Provenance


class ExpectationResult(_Record):
    name: str
    measure: str
    value: float | None
    unit: str
    tolerance: str
    outcome: Outcome
    detail: str
    evidence_id: str


class ScenarioResult(_Record):
    name: str
    title: str
    dimensions: list[str]
    seed: int
    status: ScenarioStatus
    started: float
    ended: float
    expectations: list[ExpectationResult] = []
    failed_steps: list[str] = []
    failed_rollbacks: list[str] = []
    error: str | None = None


class ScenarioEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    file: str
    sha256: str
    seed: int
    status: str = "not_run"


class TargetEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    architecture: str
    pattern: str
    profile: str
    descriptor: str
    digest: str


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    run_id: str
    status: str = "running"
    """running | complete | target-unavailable | invalid-scenarios | interrupted"""
    errors: list[str] = []
    target: TargetEntry | None = None
    code_version: str
    tool_version: str
    versions: dict[str, str]
    seed: int
    scenarios: list[ScenarioEntry] = []
    results: list[ScenarioResult] = []
    started: float
    ended: float | None = None

    @classmethod
    def begin(cls, folder: Path, seed: int, target: TargetEntry | None = None) -> "Manifest":
        """The manifest of a run starting now: what ran it (tool, code, packages)."""
        return cls(
            run_id=folder.name, code_version=code_version(), tool_version=__version__,
            versions=package_versions(), seed=seed, started=time.time(), target=target,
        )  # fmt: skip


def package_versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "platform": platform.platform()}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


ALERT_METRICS = ("readiness_alerts_firing", "ALERTS")
"""Alerts are read in either convention: our `readiness_alerts_firing{rule,severity}` gauge,
or Prometheus's own `ALERTS{alertname,severity,alertstate}` series."""


def firing_alert(metric: str, labels: str, value: float) -> tuple[str, str] | None:
    """(rule, severity) when this sample says an alert is firing (a pending one is not),
    else None; `labels` as a `Sample` holds them."""
    if metric not in ALERT_METRICS or value <= 0:
        return None
    found: dict[str, str] = json.loads(labels) if labels else {}
    if found.get("alertstate", "firing") != "firing":
        return None
    return found.get("rule") or found.get("alertname", ""), found.get("severity", "")


DIGESTS_FILE = "digests.json"
DERIVED = "assessment."
"""Files written after the evidence is sealed besides the digests: what is derived from the
evidence (`assessment.json` and its renderings can always be recomputed from it)."""


def _sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def write_digests(folder: Path) -> Path:
    """Seal the bundle: the sha256 of every evidence file, so an edit shows."""
    digests = {
        str(path.relative_to(folder)): _sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != DIGESTS_FILE and not path.name.startswith(DERIVED)
    }
    target = folder / DIGESTS_FILE
    target.write_text(json.dumps({"algorithm": "sha256", "files": digests}, indent=1))
    return target


class Seal(BaseModel):
    """What the seal of a bundle says now: how many files it covers, and which of them are
    missing or changed since the run."""

    files: int
    problems: list[str]

    @property
    def broken(self) -> bool:
        return bool(self.problems)


def check_seal(folder: Path) -> Seal | None:
    """The bundle's files against its digests; None when it was never sealed. An unreadable
    digests file is InvalidInput: a seal nobody can read proves nothing."""
    path = folder / DIGESTS_FILE
    if not path.exists():
        return None
    try:
        recorded: dict[str, str] = json.loads(path.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError) as problem:
        raise InvalidInput(f"{path} is unreadable: {problem!r}") from problem
    problems = []
    for name, digest in sorted(recorded.items()):
        file = folder / name
        if not file.is_file():
            problems.append(f"{name} is missing")
        elif _sha256(file) != digest:
            problems.append(f"{name} was changed after the run")
    return Seal(files=len(recorded), problems=problems)


def read_manifest(bundle: Path) -> Manifest:
    """The manifest of a bundle; InvalidInput when the folder is not one or it is unreadable."""
    path = bundle / MANIFEST_FILE
    if not path.is_file():
        raise InvalidInput(f"{bundle} is not an evidence bundle: it has no {MANIFEST_FILE}")
    try:
        return Manifest.model_validate_json(path.read_text())
    except (OSError, ValidationError) as problem:
        raise InvalidInput(
            f"evidence bundle {bundle}: {MANIFEST_FILE} is unreadable: "
            f"{str(problem).splitlines()[0]}"
        ) from problem
