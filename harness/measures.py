"""Measures: numbers computed from a scenario's recording that its expectations bound.

Each measure is a small pure function of the recording, the moment the fault began (the
start of the expectation's `since` step) and its own validated arguments. A measure that
cannot be computed (the step never ran, no alert was ever seen, the target exports no such
metric) answers None with the reason: not measured is never a pass and never a zero.

Alerts are read from the target's metrics endpoints in either convention
(`readiness.bundle.firing_alert`).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from harness.recording import Recording
from readiness.bundle import ALERT_METRICS, firing_alert

PREDICT = "predict"


@dataclass(frozen=True)
class Measurement:
    value: float | None
    unit: str
    detail: str


class _Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertParameters(_Parameters):
    severity: str | None = None
    rule: str | None = None


class AlertsParameters(_Parameters):
    severities: list[str] | None = None
    """Count alerts of these severities only (default: all)."""


class RequestParameters(_Parameters):
    kind: str = PREDICT
    include_4xx: bool = False
    """Count every 4xx as an error, on broken rows too (a 4xx on a valid row always is)."""


Latency = Literal["answer", "end_to_end"]
"""`answer`: until the HTTP answer; `end_to_end`: from sending until the target's action
(a stream's results endpoint, `harness.results`)."""


class LatencyParameters(_Parameters):
    kind: str = PREDICT
    quantile: float = Field(default=0.99, gt=0, lt=1)
    of: Latency = "answer"


class RefusalParameters(_Parameters):
    defective: bool = True
    """Among the requests a transform broke on purpose (True), or the valid ones (False)."""


class RecoveryParameters(_Parameters):
    hold_s: int = Field(default=5, ge=1)
    """Seconds in a row within the SLO that count as recovered."""
    p99_ms: float | None = Field(default=None, gt=0)
    """Latency bound (default: the target's p99 SLO)."""
    error_rate: float | None = Field(default=None, ge=0, le=1)
    of: Latency = "answer"
    """With `end_to_end`, an accepted request never acted on counts as an error."""


class ResultParameters(_Parameters):
    pass


class Condition(_Parameters):
    metric: str
    op: Literal["<", "<=", ">", ">="]
    value: float
    labels: dict[str, str] = {}


class ConditionParameters(_Parameters):
    any_of: list[Condition] = Field(min_length=1)


class MetricParameters(_Parameters):
    metric: str
    labels: dict[str, str] = {}


class OutputParameters(_Parameters):
    step: str
    field: str
    """A dotted path into the step's output, e.g. `fuzz.server_errors`."""


@dataclass(frozen=True)
class Measure:
    name: str
    parameters: type[_Parameters]
    compute: Callable[[Recording, float, Any], Measurement]
    description: str
    reads: str
    """What the measure reads: requests, samples or steps (for provenance)."""


def _labels(text: str) -> dict[str, str]:
    return dict(json.loads(text)) if text else {}


def _matching(samples: pd.DataFrame, metric: str, labels: dict[str, str]) -> pd.DataFrame:
    rows = samples[samples["metric"] == metric]
    if labels and not rows.empty:
        keep = rows["labels"].map(lambda text: labels.items() <= _labels(text).items())
        rows = rows[keep]
    return rows


def _firing(recording: Recording, parameters: AlertParameters | AlertsParameters) -> pd.DataFrame:
    """Samples of alerts firing that match, with `alert` (rule name) and `severity` columns."""
    samples = recording.samples
    samples = samples[samples["metric"].isin(ALERT_METRICS)]  # a few of many thousand rows
    columns = zip(samples["metric"], samples["labels"], samples["value"], strict=True)
    alerts = [firing_alert(metric, labels, value) for metric, labels, value in columns]
    firing = [alert is not None for alert in alerts]
    found = samples[firing].assign(
        alert=[alert[0] for alert in alerts if alert is not None],
        severity=[alert[1] for alert in alerts if alert is not None],
    )
    if isinstance(parameters, AlertParameters):
        if parameters.severity:
            found = found[found["severity"] == parameters.severity]
        if parameters.rule:
            found = found[found["alert"] == parameters.rule]
    elif parameters.severities:
        found = found[found["severity"].isin(parameters.severities)]
    return found


def _alert_metrics_seen(recording: Recording) -> bool:
    return bool(recording.samples["metric"].isin(ALERT_METRICS).any())


def alert_delay(recording: Recording, since: float, parameters: AlertParameters) -> Measurement:
    """Seconds until a matching alert that was not already firing at the fault fires: an
    alert left over from an earlier fault is not a detection of this one."""
    what = " ".join(filter(None, [parameters.severity, parameters.rule])) or "matching"
    if not _alert_metrics_seen(recording):
        return Measurement(None, "s", "the target exports no alert metric")
    firing = _firing(recording, parameters)
    last_sample_before = recording.samples[recording.samples["time"] < since]["time"].max()
    lingering = set(firing[firing["time"] == last_sample_before]["alert"])
    after = firing[(firing["time"] >= since) & ~firing["alert"].isin(lingering)]
    if after.empty:
        left = f" ({', '.join(sorted(lingering))} already firing before it)" if lingering else ""
        return Measurement(None, "s", f"no new {what} alert fired after the fault{left}")
    first = after.sort_values("time").iloc[0]
    delay = float(first["time"]) - since
    return Measurement(delay, "s", f"alert '{first['alert']}' ({first['severity']}) fired "
                                   f"{delay:.1f} s after the fault")  # fmt: skip


def alerts_fired(recording: Recording, since: float, parameters: AlertsParameters) -> Measurement:
    if not _alert_metrics_seen(recording):
        return Measurement(None, "alerts", "the target exports no alert metric")
    firing = _firing(recording, parameters)
    names = sorted(set(firing[firing["time"] >= since]["alert"]))
    return Measurement(float(len(names)), "alerts", f"fired: {', '.join(names) or 'none'}")


def _requests(recording: Recording, since: float, kind: str) -> pd.DataFrame:
    requests = recording.requests
    return requests[(requests["time"] >= since) & (requests["kind"] == kind)]


def _valid(requests: pd.DataFrame) -> "pd.Series[bool]":
    """The requests no transform broke on purpose (their rows must be answered)."""
    if "defect" not in requests:
        return pd.Series(True, index=requests.index)
    return requests["defect"].fillna("").astype(str) == ""


def _is_error(requests: pd.DataFrame, include_4xx: bool = False) -> "pd.Series[bool]":
    """No answer, a server error, or a 4xx on a valid row (a refusal of what the target
    must serve is a failure like any other; on a row broken on purpose it is the right
    answer, unless `include_4xx`)."""
    status = requests["status"]
    refused = (status >= 400) & (status < 500) & (_valid(requests) | include_4xx)
    return (status == 0) | (status >= 500) | refused


def error_rate(recording: Recording, since: float, parameters: RequestParameters) -> Measurement:
    requests = _requests(recording, since, parameters.kind)
    if requests.empty:
        return Measurement(None, "ratio", f"no {parameters.kind} request was made")
    errors = int(_is_error(requests, parameters.include_4xx).sum())
    return Measurement(errors / len(requests), "ratio",
                       f"{errors} of {len(requests)} failed ({_statuses(requests)})")  # fmt: skip


def _statuses(requests: pd.DataFrame) -> str:
    counts = requests["status"].value_counts().to_dict()
    return ", ".join(f"{count} x {'no answer' if status == 0 else status}"
                     for status, count in sorted(counts.items())) or "none"  # fmt: skip


def lost_requests(recording: Recording, since: float, parameters: RequestParameters) -> Measurement:
    """Requests that got no answer (status 0: connection refused, reset, timed out), a
    server error, or a 4xx although their row was valid: what the target failed to serve,
    as opposed to the broken rows it rightly refused."""
    requests = _requests(recording, since, parameters.kind)
    if requests.empty:
        return Measurement(None, "requests", f"no {parameters.kind} request was made")
    lost = requests[_is_error(requests, parameters.include_4xx)]
    detail = _statuses(lost)
    return Measurement(float(len(lost)), "requests", f"{len(lost)} of {len(requests)}: {detail}")


def request_count(recording: Recording, since: float, parameters: RequestParameters) -> Measurement:
    """Requests answered 2xx: traffic the target refused was not served."""
    requests = _requests(recording, since, parameters.kind)
    ok = int(((requests["status"] >= 200) & (requests["status"] < 300)).sum())
    return Measurement(float(ok), "requests",
                       f"{ok} of {len(requests)} answered 2xx ({_statuses(requests)})")  # fmt: skip


NO_RESULTS = "the target declares no results endpoint, so nothing was followed up"


def _no_results(recording: Recording) -> str:
    return recording.follow_up or NO_RESULTS


def _with_latency(requests: pd.DataFrame, of: Latency) -> pd.DataFrame | None:
    """The requests with `done` (answered, or acted on end to end) and `latency` (ms); None
    when end-to-end results were not followed up."""
    ok = (requests["status"] >= 200) & (requests["status"] < 300)
    if of == "answer":
        return requests.assign(done=ok, latency=requests["latency_ms"])
    if "completed_at" not in requests:
        return None
    completed = requests["completed_at"].astype(float)
    return requests.assign(done=ok & completed.notna(),
                           latency=(completed - requests["time"]) * 1000)  # fmt: skip


def latency_quantile(
    recording: Recording, since: float, parameters: LatencyParameters
) -> Measurement:
    framed = _with_latency(_requests(recording, since, parameters.kind), parameters.of)
    if framed is None:
        return Measurement(None, "ms", _no_results(recording))
    done = framed[framed["done"]]
    what = "answers" if parameters.of == "answer" else "requests acted on, end to end"
    if done.empty:
        return Measurement(None, "ms", f"no {what}")
    value = float(np.quantile(done["latency"].to_numpy(), parameters.quantile))
    return Measurement(value, "ms", f"p{parameters.quantile * 100:g} of {len(done)} {what}")


def _followed_up(recording: Recording, since: float) -> pd.DataFrame | None:
    """The accepted predictions since the fault, with their results; None without them."""
    requests = _requests(recording, since, PREDICT)
    if "actions" not in requests:
        return None
    ok = (requests["status"] >= 200) & (requests["status"] < 300)
    return requests[ok & (requests["request_id"].fillna("").astype(str) != "")]


def _takes_actions(accepted: pd.DataFrame) -> "pd.Series[bool]":
    """False where the target said it takes no action after its answer (no actions
    column in its results: an edge fleet); a request not found at all still counts."""
    if accepted["actions"].notna().any() or accepted["results"].isna().all():
        return pd.Series(True, index=accepted.index)
    return pd.Series(False, index=accepted.index)


def lost_results(recording: Recording, since: float, parameters: ResultParameters) -> Measurement:
    """Accepted requests that got no prediction or no action by the end of the drain."""
    accepted = _followed_up(recording, since)
    if accepted is None:
        return Measurement(None, "requests", _no_results(recording))
    if accepted.empty:
        return Measurement(None, "requests", "no request was accepted")
    predictions = accepted["results"].fillna(0)
    actions = accepted["actions"].fillna(0).where(_takes_actions(accepted), 1)
    lost = int(((predictions < 1) | (actions < 1)).sum())
    return Measurement(float(lost), "requests", f"{lost} of {len(accepted)} accepted requests "
                       f"without a result ({int((predictions < 1).sum())} without a prediction, "
                       f"{int((actions < 1).sum())} without an action); "
                       f"{recording.follow_up}")  # fmt: skip


def duplicated_results(
    recording: Recording, since: float, parameters: ResultParameters
) -> Measurement:
    """Prediction rows and actions beyond one per accepted single-instance request."""
    accepted = _followed_up(recording, since)
    if accepted is None:
        return Measurement(None, "results", _no_results(recording))
    if accepted.empty:
        return Measurement(None, "results", "no request was accepted")
    predictions = int((accepted["results"].fillna(0) - 1).clip(lower=0).sum())
    taken = accepted["actions"].fillna(0).where(_takes_actions(accepted), 1)
    actions = int((taken - 1).clip(lower=0).sum())
    return Measurement(float(predictions + actions), "results", f"{predictions} extra "
                       f"predictions, {actions} extra actions over {len(accepted)} accepted "
                       "requests")  # fmt: skip


def latency_slo_ratio(
    recording: Recording, since: float, parameters: LatencyParameters
) -> Measurement:
    """A latency quantile over the target's declared p99 SLO: at most 1 holds the SLO."""
    if recording.slos is None:
        return Measurement(None, "ratio", "the target declares no latency SLO")
    found = latency_quantile(recording, since, parameters)
    if found.value is None:
        return Measurement(None, "ratio", found.detail)
    slo = recording.slos.p99_latency_ms
    detail = f"{found.value:.1f} ms against an SLO of {slo:g} ms ({found.detail})"
    return Measurement(found.value / slo, "ratio", detail)


def refused_share(recording: Recording, since: float, parameters: RefusalParameters) -> Measurement:
    """Share of the (deliberately defective, or valid) requests answered with a 4xx."""
    requests = _requests(recording, since, PREDICT)
    defective = requests["defect"].fillna("") != ""
    chosen = requests[defective if parameters.defective else ~defective]
    what = "defective" if parameters.defective else "valid"
    if chosen.empty:
        return Measurement(None, "ratio", f"no {what} request was made")
    refused = chosen["status"].between(400, 499)
    kinds = chosen[~refused]["status"].value_counts().to_dict()
    return Measurement(float(refused.mean()), "ratio", f"{int(refused.sum())} of {len(chosen)} "
                       f"{what} requests refused with 4xx; others: {kinds or 'none'}")  # fmt: skip


def recovery_time(
    recording: Recording, since: float, parameters: RecoveryParameters
) -> Measurement:
    """Seconds from the fault until `hold_s` seconds in a row meet the latency and error
    SLOs (0 when the fault never pushed the target out of them)."""
    p99 = parameters.p99_ms or (recording.slos.p99_latency_ms if recording.slos else None)
    limit = parameters.error_rate
    if limit is None and recording.slos is not None:
        limit = recording.slos.error_rate
    if p99 is None or limit is None:
        return Measurement(None, "s", "the target declares no latency or error SLO")
    requests = _with_latency(_requests(recording, since, PREDICT), parameters.of)
    if requests is None:
        return Measurement(None, "s", _no_results(recording))
    if requests.empty:
        return Measurement(None, "s", "no request was made after the fault")
    second = ((requests["time"] - since) // 1).astype(int)
    ok = []
    for _, bucket in requests.groupby(second):
        done = bucket[bucket["done"]]
        accepted = (bucket["status"] >= 200) & (bucket["status"] < 300)
        errors = float((_is_error(bucket) | (accepted & ~bucket["done"])).mean())
        fast = not done.empty and np.quantile(done["latency"], 0.99) <= p99
        ok.append(bool(fast and errors <= limit))
    seconds = sorted(second.unique())
    run = 0
    for index, good in enumerate(ok):
        run = run + 1 if good else 0
        if run >= parameters.hold_s:
            start = int(seconds[index - parameters.hold_s + 1])
            detail = f"within SLO (p99 <= {p99:g} ms, errors <= {limit:g}) from {start} s"
            return Measurement(float(start), "s", f"{detail} after the fault")
    return Measurement(None, "s", f"never {parameters.hold_s} s in a row within the SLO")


def _versions_before(recording: Recording, since: float) -> set[str]:
    requests = recording.requests
    answered = requests[(requests["time"] < since) & (requests["kind"] == PREDICT)]
    return set(answered["version"].dropna()) - {""}


def new_version_predictions(
    recording: Recording, since: float, parameters: RequestParameters
) -> Measurement:
    """Predictions answered after the fault by a version that did not answer before it."""
    before = _versions_before(recording, since)
    if not before:
        return Measurement(None, "predictions", "no version answered before the fault")
    after = _requests(recording, since, parameters.kind)
    new = after[
        ~after["version"].isin(before) & after["version"].notna() & (after["version"] != "")
    ]
    versions = ", ".join(sorted(set(new["version"]))) or "none"
    return Measurement(float(len(new)), "predictions", f"answered by new versions: {versions}")


def rollback_delay(
    recording: Recording, since: float, parameters: RequestParameters
) -> Measurement:
    """Seconds from the fault until the versions that served before it answer again, and
    only they, to the end of the run."""
    before = _versions_before(recording, since)
    if not before:
        return Measurement(None, "s", "no version answered before the fault")
    after = _requests(recording, since, parameters.kind)
    after = after[after["version"].notna() & (after["version"] != "")]
    new = after[~after["version"].isin(before)]
    if new.empty:
        return Measurement(None, "s", "no new version answered after the fault")
    last_new = float(new["time"].max())
    restored = after[(after["time"] > last_new) & after["version"].isin(before)]
    if restored.empty:
        return Measurement(None, "s", "the previous version never answered again")
    delay = float(restored["time"].min()) - since
    return Measurement(delay, "s", f"previous version {', '.join(sorted(before))} answered "
                                   f"again {delay:.1f} s after the fault")  # fmt: skip


_OPERATORS: dict[str, Callable[[pd.Series, float], pd.Series]] = {
    "<": lambda values, bound: values < bound, "<=": lambda values, bound: values <= bound,
    ">": lambda values, bound: values > bound, ">=": lambda values, bound: values >= bound,
}  # fmt: skip


def condition_delay(
    recording: Recording, since: float, parameters: ConditionParameters
) -> Measurement:
    """Seconds from the fault until any of the conditions holds on a sampled metric."""
    times: list[tuple[float, str]] = []
    seen = False
    for condition in parameters.any_of:
        rows = _matching(recording.samples, condition.metric, condition.labels)
        seen = seen or not rows.empty
        holds = _OPERATORS[condition.op](rows["value"], condition.value)
        before = rows[rows["time"] < since]
        if not before.empty and bool(holds[before["time"].idxmax()]):
            continue  # it already held before the fault: not a detection
        after = rows[holds & (rows["time"] >= since)]
        if not after.empty:
            times.append((float(after["time"].min()),
                          f"{condition.metric} {condition.op} {condition.value:g}"))  # fmt: skip
    if not seen:
        return Measurement(None, "s", "the target exports none of these metrics")
    if not times:
        return Measurement(None, "s", "no condition held after the fault")
    first, which = min(times)
    return Measurement(first - since, "s", f"{which} {first - since:.1f} s after the fault")


def metric_increase(
    recording: Recording, since: float, parameters: MetricParameters
) -> Measurement:
    """The largest rise of a metric (summed over its label sets) above its value at the
    fault: replicas added under load, for instance."""
    rows = _matching(recording.samples, parameters.metric, parameters.labels)
    if rows.empty:
        return Measurement(None, parameters.metric, "the target exports no such metric")
    totals = rows.groupby("time")["value"].sum().sort_index()
    start = totals[totals.index <= since]
    base = float(start.iloc[-1]) if not start.empty else float(totals.iloc[0])
    peak = float(totals[totals.index >= since].max())
    return Measurement(peak - base, parameters.metric, f"from {base:g} to at most {peak:g}")


def step_output(recording: Recording, since: float, parameters: OutputParameters) -> Measurement:
    step = recording.steps.get(parameters.step)
    if step is None or step.status != "succeeded":
        return Measurement(None, "", f"step '{parameters.step}' did not succeed")
    value: Any = step.output
    for part in parameters.field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Measurement(None, "", f"'{parameters.field}' is not a number in its output")
    return Measurement(float(value), "", f"{parameters.step}: {parameters.field} = {value}")


MEASURES: dict[str, Measure] = {
    measure.name: measure
    for measure in (
        Measure("alert_delay_s", AlertParameters, alert_delay,
                "Seconds from the fault until a matching alert fired.", "samples"),
        Measure("alerts_fired", AlertsParameters, alerts_fired,
                "Distinct alerts that fired after the fault.", "samples"),
        Measure("error_rate", RequestParameters, error_rate,
                "Share of requests answered with a server error, not at all, or with a 4xx "
                "although their row was valid.", "requests"),
        Measure("lost_requests", RequestParameters, lost_requests,
                "Requests answered with a server error, not at all, or with a 4xx although "
                "their row was valid.", "requests"),
        Measure("requests", RequestParameters, request_count, "Requests answered 2xx.",
                "requests"),
        Measure("latency_ms", LatencyParameters, latency_quantile,
                "A latency quantile of the answered requests.", "requests"),
        Measure("latency_slo_ratio", LatencyParameters, latency_slo_ratio,
                "A latency quantile over the declared p99 SLO.", "requests"),
        Measure("refused_share", RefusalParameters, refused_share,
                "Share of defective (or valid) requests refused with a 4xx.", "requests"),
        Measure("recovery_time_s", RecoveryParameters, recovery_time,
                "Seconds from the fault until latency and errors are within the SLO.", "requests"),
        Measure("new_version_predictions", RequestParameters, new_version_predictions,
                "Predictions answered by a version not serving before the fault.", "requests"),
        Measure("rollback_delay_s", RequestParameters, rollback_delay,
                "Seconds from the fault until the previous version serves again.", "requests"),
        Measure("condition_delay_s", ConditionParameters, condition_delay,
                "Seconds from the fault until a metric condition holds.", "samples"),
        Measure("metric_increase", MetricParameters, metric_increase,
                "The largest rise of a metric above its value at the fault.", "samples"),
        Measure("lost_results", ResultParameters, lost_results,
                "Accepted requests with no prediction or no action after the drain.",
                "requests"),
        Measure("duplicated_results", ResultParameters, duplicated_results,
                "Predictions and actions beyond one per accepted request.", "requests"),
        Measure("step_output", OutputParameters, step_output,
                "A number from a step's output.", "steps"),
    )
}  # fmt: skip
