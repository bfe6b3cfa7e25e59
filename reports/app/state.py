"""What every page shares: the catalogue of bundles (loaded once per change of the runs
folder, not per click), the selected run and the chosen policy."""

import os
from pathlib import Path

import streamlit as st

from assessment.policy import WHITEPAPER_POLICY, Policy, load_policy
from assessment.result import ASSESSMENT_FILE
from readiness.bundle import MANIFEST_FILE
from readiness.errors import InvalidInput
from readiness.home import readiness_home
from reports.bundles import MAX_DEPTH, Catalogue, Run, discover
from reports.evidence import EvidenceIndex, seal_line
from reports.timeline import ScenarioTimeline, scenario_timelines

RUNS_VARIABLE = "READINESS_RUNS"
"""Set by `readiness dashboard --runs DIR`; else the runs of READINESS_HOME."""
RUN_KEY, POLICY_KEY, POLICY_FILE_KEY = "run", "policy", "policy_file"
NO_POLICY = "none"
SHIPPED_POLICIES = {path.stem: path for path in sorted(WHITEPAPER_POLICY.parent.glob("*.yaml"))}


def runs_folder() -> Path:
    configured = os.environ.get(RUNS_VARIABLE, "").strip()
    return Path(configured).expanduser().resolve() if configured else readiness_home().runs


def _signature(root: Path) -> tuple[tuple[str, float], ...]:
    """What changes when a bundle is added, finished or re-assessed: the manifests' and
    assessments' times. Cheap (a stat per file), so the catalogue reloads only then."""
    found = []
    patterns = [
        "*/" * depth + name
        for depth in range(MAX_DEPTH + 1)  # as deep as the catalogue looks
        for name in (MANIFEST_FILE, ASSESSMENT_FILE)
    ]
    for pattern in patterns:
        for path in root.glob(pattern):
            try:
                found.append((str(path), path.stat().st_mtime))
            except OSError:
                continue
    return tuple(sorted(found))


@st.cache_resource(max_entries=4, show_spinner="reading the evidence bundles ...")
def _catalogue(root: str, signature: tuple[tuple[str, float], ...]) -> Catalogue:
    return discover(Path(root))


def catalogue() -> Catalogue:
    root = runs_folder()
    return _catalogue(str(root), _signature(root))


def selected_run(found: Catalogue) -> Run | None:
    chosen = st.session_state.get(RUN_KEY)
    for run in found.runs:
        if run.run_id == chosen:
            return run
    return found.runs[0] if found.runs else None


def chosen_policy() -> Policy | None:
    """The sidebar's policy: a policy file's path when given, else a shipped one, or none.
    A file that is not a valid policy is reported on the page, and no policy applies."""
    path = str(st.session_state.get(POLICY_FILE_KEY, "") or "").strip()
    name = st.session_state.get(POLICY_KEY, "whitepaper")
    try:
        if path:
            return load_policy(Path(path).expanduser())
        if name in SHIPPED_POLICIES:
            return load_policy(SHIPPED_POLICIES[name])
    except InvalidInput as problem:
        st.error(f"Policy not applied: {problem}")
    return None


@st.cache_resource(max_entries=16, show_spinner="reading the scenario time series ...")
def timelines(path: str, run_id: str, started: float) -> list[ScenarioTimeline]:
    run = _run_at(path)
    return scenario_timelines(run.path, run.manifest)


@st.cache_resource(max_entries=16, show_spinner="reading the evidence ...")
def evidence(path: str, run_id: str, started: float) -> EvidenceIndex:
    run = _run_at(path)
    return EvidenceIndex.of(run.path, run.assessment)


@st.cache_resource(max_entries=16, show_spinner="checking the evidence seal ...")
def seal(path: str, run_id: str, started: float) -> str:
    """The seal line of a run, checked once per run as its evidence index is (hashing every
    file of a bundle on each rerun of a page would make the app slow on large bundles)."""
    return seal_line(_run_at(path).path)


def _run_at(path: str) -> Run:
    for run in catalogue().runs:
        if str(run.path) == path:
            return run
    raise InvalidInput(f"no assessed bundle at {path}")


def require_run() -> Run:
    """The selected run, or a page that says why there is none (and stops)."""
    found = catalogue()
    run = selected_run(found)
    if run is None:
        st.info(
            f"No assessed evidence bundle under {found.root}. Run `readiness run` or "
            "`readiness demo` to make one, or start the app with `--runs DIR`."
        )
        if found.problems:
            st.warning(f"{len(found.problems)} bundles cannot be shown: see the Bundles page.")
        st.stop()
    return run
