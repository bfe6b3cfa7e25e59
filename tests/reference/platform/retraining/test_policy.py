from pathlib import Path

import pytest
import yaml

from readiness.errors import InvalidPolicy
from reference.platform.alerting.rules import Action
from reference.platform.retraining.policy import (
    default_retraining_policy_path,
    load_retraining_policy,
)
from reference.platform.retraining.triggers import TriggerKind


def test_the_shipped_policy_loads_and_pages_when_the_champion_is_known_to_fail() -> None:
    policy = load_retraining_policy()
    assert policy.offline.max_auc_drop == 0.002
    assert policy.refusal_alerts[TriggerKind.PERFORMANCE] is Action.PAGE
    assert policy.refusal_alerts[TriggerKind.SCHEDULE] is Action.TICKET
    assert policy.rationale


def write(tmp_path: Path, change: dict[str, object]) -> Path:
    document = yaml.safe_load(default_retraining_policy_path().read_text()) | change
    path = tmp_path / "retraining.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(
    ("case", "change", "message"),
    [
        ("a trigger kind without an alert", {"refusal_alerts": {"manual": "ticket"}},
         "refusal_alerts lacks trigger kinds: schedule, performance, schema"),
        ("an alert that is not a page or ticket",
         {"refusal_alerts": {"manual": "rollback", "schedule": "ticket",
                             "performance": "page", "schema": "page"}},
         "refusal_alerts may only page or ticket, not manual: rollback"),
        ("more comparisons than the shadow route returns",
         {"shadow": {"min_comparisons": 5000, "min_agreement": 0.9, "timeout_s": 60,
                     "poll_s": 1}},
         "shadow.min_comparisons: Input should be less than or equal to 1000"),
        ("an unknown field", {"ofline": {}}, "ofline: Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_a_malformed_policy_is_refused_naming_the_problem(
    tmp_path: Path, case: str, change: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidPolicy, match="retraining policy") as refused:
        load_retraining_policy(write(tmp_path, change))
    assert str(refused.value).endswith(message), case
