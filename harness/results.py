"""What became of accepted requests on a target that answers later (a stream).

A 202 says only that the target took the request. After the scenario, the harness asks
the target's results endpoint about every request it accepted, until each has its action
or the drain time is up, and adds to each request the prediction rows and actions the
target recorded and when its last action was taken. Lost results (none after the drain),
duplicated ones (more than one) and the end-to-end latency (send time to action time) are
then measured from the requests like any other measure. A target without a results
endpoint gets no such columns, and those measures say so. A target that takes no action
after its answer (an edge device answers its caller at once; what follows is the record
reaching the cloud) gives no actions: its requests are followed up to their predictions.
"""

import time
from collections.abc import Callable

import httpx
import numpy as np
import pandas as pd

from harness.recording import RESULT_COLUMNS
from harness.target import Target

CHUNK = 500
"""Request ids per lookup (the endpoint takes up to 1,000)."""
DRAIN_TIMEOUT_S = 60.0
"""Longer than a backlog of a 10x burst takes to drain on 2 cores."""
STALLED_S = 15.0
"""No request acted on for this long ends the wait: longer than a redelivery after a
crash (the reference's ack wait is 10 s); what is still pending then is lost."""
POLL_S = 1.0


def accepted_ids(requests: pd.DataFrame) -> list[str]:
    """The ids of the predictions the target accepted (2xx, with a request id)."""
    if requests.empty or "request_id" not in requests:
        return []
    ok = (requests["kind"] == "predict") & (requests["status"] >= 200) & (requests["status"] < 300)
    ids = requests.loc[ok, "request_id"].fillna("").astype(str)
    return sorted(set(ids[ids != ""]))


Found = tuple[int, float, float]
"""Predictions, actions (NaN: the target takes none), when the last action was taken."""


def _lookup(target: Target, ids: list[str]) -> dict[str, Found]:
    found: dict[str, Found] = {}
    for start in range(0, len(ids), CHUNK):
        answer = httpx.post(target.url("results"), json={"request_ids": ids[start : start + CHUNK]},
                            headers=target.headers(), timeout=30.0)  # fmt: skip
        answer.raise_for_status()
        for row in answer.json()["results"]:
            completed, actions = row.get("completed_at"), row.get("actions")
            found[str(row["request_id"])] = (
                int(row["predictions"]), float(actions) if actions is not None else np.nan,
                float(completed) if completed is not None else np.nan,
            )  # fmt: skip
    return found


def reconcile(
    target: Target,
    requests: pd.DataFrame,
    timeout_s: float = DRAIN_TIMEOUT_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[pd.DataFrame, str]:
    """`requests` with the result columns added, and a line on how the drain went: it
    waits until every accepted request has its action, nothing moved for `STALLED_S`, or
    `timeout_s` passed."""
    ids = accepted_ids(requests)
    if not ids:
        return requests, "no accepted request to follow up"
    deadline = clock() + timeout_s
    started = progressed = clock()
    pending = set(ids)
    found: dict[str, Found] = {}
    try:
        while True:
            found.update(_lookup(target, sorted(pending)))
            still = {i for i in pending if not _done(found.get(i))}
            if len(still) < len(pending):
                progressed = clock()
            pending = still
            if not pending or clock() > deadline or clock() - progressed > STALLED_S:
                break
            sleep(POLL_S)
    except (httpx.HTTPError, KeyError, TypeError, ValueError) as problem:
        return requests, f"the results endpoint failed: {problem}"
    sleep(POLL_S)  # a duplicate still on its way would show in one more look
    found.update(_lookup(target, ids))
    column = requests["request_id"].fillna("").astype(str)
    out = requests.copy()
    for index, name in enumerate(RESULT_COLUMNS):
        out[name] = [found[i][index] if i in found else np.nan for i in column]
    waited = clock() - started
    return out, (f"{len(ids)} accepted requests followed up in {waited:.1f} s; "
                 f"{len(pending)} still without an action")  # fmt: skip


def _done(found: Found | None) -> bool:
    """Acted on; or, at a target that takes no action, predicted."""
    if found is None:
        return False
    predictions, actions, _ = found
    return predictions >= 1 if np.isnan(actions) else actions >= 1
