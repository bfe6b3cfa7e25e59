"""Retraining on a calendar: `run_scheduled` calling `retrain` at a fixed rate.

Each run first asks whether the feature schema changed under the champion; if it did, the
run is recorded as a schema retraining with that evidence, else as a scheduled one. A
failed run is logged and the schedule goes on (`run_scheduled`'s rule), so one bad night
does not end retraining for good.
"""

import threading
from collections.abc import Callable

from readiness.descriptor import TargetDescriptor
from readiness.home import Home
from reference.platform.lifecycle import TrainOptions
from reference.platform.retraining.outcome import RetrainingOutcome
from reference.platform.retraining.pipeline import retrain
from reference.platform.retraining.policy import RetrainingPolicy
from reference.platform.retraining.triggers import RetrainingTrigger, TriggerKind, schema_trigger
from reference.platform.schedule import run_scheduled

Retrain = Callable[
    [Home, RetrainingTrigger, RetrainingPolicy, TrainOptions, TargetDescriptor | None],
    RetrainingOutcome,
]


def retrain_on_schedule(
    home: Home,
    policy: RetrainingPolicy,
    options: TrainOptions,
    every_seconds: float,
    stop: threading.Event,
    *,
    target: TargetDescriptor | None = None,
    on_outcome: Callable[[RetrainingOutcome], object] | None = None,
    on_error: Callable[[Exception], None] | None = None,
    run: Retrain = retrain,
) -> int:
    """Retrain now and every `every_seconds` until `stop` is set; how many runs decided."""

    def once() -> RetrainingOutcome:
        trigger = schema_trigger(home) or RetrainingTrigger(
            kind=TriggerKind.SCHEDULE, evidence=f"scheduled every {every_seconds:g} s"
        )
        return run(home, trigger, policy, options, target)

    sink = on_outcome or (lambda _: None)
    return run_scheduled(every_seconds, once, sink, stop, on_error=on_error)
