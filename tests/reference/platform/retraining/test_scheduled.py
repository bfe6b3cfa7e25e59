"""The calendar trigger: `run_scheduled` calling the retraining, schema first."""

import threading
from pathlib import Path

from readiness.descriptor import TargetDescriptor
from readiness.home import Home
from reference.platform.lifecycle import TrainOptions
from reference.platform.retraining.outcome import RetrainingOutcome
from reference.platform.retraining.policy import RetrainingPolicy, load_retraining_policy
from reference.platform.retraining.scheduled import retrain_on_schedule
from reference.platform.retraining.triggers import RetrainingTrigger, TriggerKind


def test_each_run_retrains_with_a_schedule_trigger_until_stopped(isolated_home: Path) -> None:
    seen: list[RetrainingTrigger] = []
    stop = threading.Event()

    def run(
        home: Home,
        trigger: RetrainingTrigger,
        policy: RetrainingPolicy,
        options: TrainOptions,
        target: TargetDescriptor | None,
    ) -> RetrainingOutcome:
        seen.append(trigger)
        if len(seen) == 3:
            stop.set()
        raise RuntimeError("no model today")  # a failed run does not end the schedule

    failures: list[Exception] = []
    completed = retrain_on_schedule(
        Home(isolated_home).ensure(), load_retraining_policy(), TrainOptions(), 0.01, stop,
        on_error=failures.append, run=run,
    )  # fmt: skip
    assert completed == 0
    assert len(failures) == 3
    assert [t.kind for t in seen] == [TriggerKind.SCHEDULE] * 3
    assert seen[0].evidence == "scheduled every 0.01 s"
