"""Whether a scenario can mean anything against this target, before and after it runs.

Before: a scenario that needs a fault hook the descriptor does not declare (most systems
declare none), or rows it does not name, is not started; it is recorded once as not
applicable, naming what a team must offer to run it, instead of a cascade of failed steps
and undos. After: when the target refused more than `MAX_REFUSED_VALID` of the valid rows
before the fault, nothing measured over its traffic means anything, so the scenario is
recorded as invalid with the reason (and the target's first refusal quoted).
"""

import pandas as pd

from harness.recording import Recording
from harness.scenario import LoadedScenario
from readiness.descriptor import TargetDescriptor

MAX_REFUSED_VALID = 0.05
HOOK_ACTIVITIES = ("inject_fault", "undo_fault")
TRAFFIC_ACTIVITIES = ("start_traffic", "security_campaign")


def not_applicable(loaded: LoadedScenario, descriptor: TargetDescriptor) -> str | None:
    """Why the scenario cannot run against this target, or None when it can."""
    scenario = loaded.scenario
    activities = [*scenario.method, *scenario.rollbacks]
    declared = {hook.name for hook in descriptor.fault_hooks}
    wanted: list[str] = []
    for activity in activities:
        hook = activity.provider.arguments.get("hook")
        if activity.provider.func == "inject_fault" and hook and hook not in declared:
            wanted.append(str(hook))
    if wanted:
        names = ", ".join(f"'{hook}'" for hook in dict.fromkeys(wanted))
        return (f"it needs the fault hook {names}, which the descriptor does not declare: to "
                "run it, offer a way to cause that fault (an HTTP admin call or a shell "
                "command) and declare it under fault_hooks, with its undo")  # fmt: skip
    if descriptor.data is None and any(a.provider.func in TRAFFIC_ACTIVITIES for a in activities):
        return (
            "it sends traffic built from the system's own rows, and the descriptor names "
            "none: declare data.rows (a CSV or parquet file of rows the system accepts)"
        )
    return None


def fault_moment(loaded: LoadedScenario, recording: Recording) -> float:
    """When the first fault began: the earliest step an expectation counts from (the end
    of the run for a scenario without a fault)."""
    moments = [recording.moment(e.since) for e in loaded.extension.expectations if e.since]
    return min(moments) if moments else recording.ended


def refused_valid_rows(loaded: LoadedScenario, recording: Recording) -> str | None:
    """The reason the scenario is invalid, or None: more than MAX_REFUSED_VALID of the
    valid rows sent before the fault were refused with a 4xx."""
    requests = recording.requests
    if requests.empty:
        return None
    before = requests[(requests["time"] < fault_moment(loaded, recording))
                      & (requests["kind"] == "predict")]  # fmt: skip
    valid = before[before["defect"].fillna("").astype(str) == ""]
    if valid.empty:
        return None
    refused = valid[(valid["status"] >= 400) & (valid["status"] < 500)]
    if len(refused) <= MAX_REFUSED_VALID * len(valid):
        return None
    quoted = _first_answer(refused)
    return (f"the target refused {len(refused):,} of {len(valid):,} valid rows before the "
            f"fault ({_counts(refused)}): check the data and the protocol"
            + (f"; it answered: {quoted}" if quoted else ""))  # fmt: skip


def _counts(requests: pd.DataFrame) -> str:
    return ", ".join(f"{n:,} x {status}" for status, n in
                     sorted(requests["status"].value_counts().to_dict().items()))  # fmt: skip


def _first_answer(refused: pd.DataFrame) -> str:
    texts = [str(t) for t in refused["error"].fillna("") if str(t)]
    return texts[0][:300] if texts else ""
