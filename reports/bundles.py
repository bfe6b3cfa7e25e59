"""The catalogue: every evidence bundle under a folder, found and summarised once.

The app opens on the catalogue, so it reads only what a list needs (each bundle's
`manifest.json` and `assessment.json`); time series, evidence and digests are read when a
page asks for one bundle. A bundle that cannot be shown (no manifest, an assessment of
another schema, a run refused before it started) is listed with what is wrong, and never
stops the others from loading.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assessment.result import ASSESSMENT_FILE, Assessment, read_assessment
from readiness.bundle import MANIFEST_FILE, Manifest
from readiness.errors import InvalidInput

MAX_DEPTH = 3
"""How deep below the runs folder bundles are looked for (`runs/<team>/<run>` is fine)."""
SKIPPED_FOLDERS = frozenset({"work", "timeseries", "requests", "scenarios", "logs"})
"""Folders inside a bundle: never bundles themselves, not worth descending into."""


@dataclass(frozen=True)
class Run:
    """A bundle that can be shown: its manifest and its assessment."""

    path: Path
    manifest: Manifest
    assessment: Assessment

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def started(self) -> float:
        return self.manifest.started

    @property
    def system(self) -> str:
        """What the trend of one system follows: its name and profile."""
        subject = self.assessment.subject
        return f"{subject.name} ({subject.profile})"

    @property
    def label(self) -> str:
        return f"{self.run_id}: {self.assessment.total}/{self.assessment.max_total}"


@dataclass(frozen=True)
class Problem:
    """A bundle that cannot be shown, and why, in words a user can act on."""

    path: Path
    problem: str


@dataclass
class Catalogue:
    root: Path
    runs: list[Run] = field(default_factory=list)
    """Newest first."""
    problems: list[Problem] = field(default_factory=list)

    def run(self, run_id: str) -> Run:
        for found in self.runs:
            if found.run_id == run_id:
                return found
        raise InvalidInput(f"no assessed bundle named {run_id!r} under {self.root}")

    def systems(self) -> list[str]:
        return sorted({run.system for run in self.runs})


def _bundle_folders(root: Path, depth: int = 0) -> Iterator[Path]:
    """Folders holding a manifest or an assessment, without descending into bundles."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return
    names = {entry.name for entry in entries}
    if MANIFEST_FILE in names or ASSESSMENT_FILE in names:
        yield root
        return
    if depth >= MAX_DEPTH:
        return
    for entry in entries:
        if entry.is_dir() and entry.name not in SKIPPED_FOLDERS and not entry.name.startswith("."):
            yield from _bundle_folders(Path(entry.path), depth + 1)


def _why_not_assessed(folder: Path, manifest: Manifest) -> str:
    if manifest.status in ("target-unavailable", "invalid-scenarios"):
        errors = "; ".join(manifest.errors) or "no detail recorded"
        return f"the run was {manifest.status} and was never assessed: {errors}"
    if manifest.status == "running":
        return "the run has not finished (or was killed): no assessment.json yet"
    return f"no {ASSESSMENT_FILE}: run `readiness assess {folder}` to assess it"


def load_run(folder: Path) -> Run:
    """One bundle; `InvalidInput` naming the file and the problem when it cannot be shown."""
    from readiness.bundle import read_manifest

    manifest = read_manifest(folder)
    if not (folder / ASSESSMENT_FILE).is_file():
        raise InvalidInput(_why_not_assessed(folder, manifest))
    assessment = read_assessment(folder / ASSESSMENT_FILE, str(folder))
    return Run(path=folder, manifest=manifest, assessment=assessment)


def discover(root: Path) -> Catalogue:
    """Every bundle under `root` (or `root` itself when it is one)."""
    catalogue = Catalogue(root=root)
    if not root.is_dir():
        catalogue.problems.append(Problem(root, "no such folder"))
        return catalogue
    for folder in _bundle_folders(root):
        try:
            catalogue.runs.append(load_run(folder))
        except InvalidInput as problem:
            catalogue.problems.append(Problem(folder, str(problem)))
    catalogue.runs.sort(key=lambda run: (-run.started, run.run_id))
    return catalogue
