"""Operating the running production service: promotion, rollback, canary, shadow, cache
invalidation, feedback, explanations and fault hooks, and the monitor's alert on answers
from the CPU fallback, all through its HTTP interface.

The session's trained home is copied, and approved versions 2 and 3 (the same artifact,
registered again) and a tampered version 4 are added to the copy, so the shared home is
left as other tests expect it. The service runs with its fault hooks enabled.

Last, the `bad-rollout` fault hook and its undo `restore`: a degraded copy of the champion
(its probability inverted) is registered, approved and promoted like any release, so the
monitors' critical alert has something to roll back; `restore` rolls back only such a
version. Version 2 serves, so the degraded copy becomes version 5.
"""

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from readiness.home import Home
from reference.microservice.degraded import DEGRADED_TAG
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.served import SERVED_MODEL
from tests.examples import VALID_ROW
from tests.reference.microservice.running import Api

ROW = VALID_ROW


def test_admin_routes_need_the_admin_role(api: Api) -> None:
    url = f"{api.admin_url}/deployments"
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, headers=api.user, timeout=10).status_code == 403
    assert httpx.get(url, headers=api.admin, timeout=10).status_code == 200


def test_a_version_without_approval_cannot_be_promoted(api: Api) -> None:
    refused = api.admin_call("POST", "promote", {"version": "1", "reason": "try"})
    assert refused.status_code == 409
    assert "no approval record" in refused.json()["detail"]
    assert api.served_version() == "2"


def test_a_bad_admin_body_is_a_422_naming_the_field(api: Api) -> None:
    refused = api.admin_call("PUT", "routing", {"challenger": "3", "canary_weight": 2})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "canary_weight"]


def test_a_tampered_artifact_is_refused_and_the_champion_keeps_serving(api: Api) -> None:
    refused = api.admin_call("POST", "promote", {"version": "4", "reason": "tampered"})
    assert refused.status_code == 409
    assert "tampered" in refused.json()["detail"]
    assert api.served_version() == "2"


def test_promotion_and_rollback_change_the_served_version_and_invalidate_the_cache(
    api: Api,
) -> None:
    api.predict(ROW)  # version 2 has ROW cached now
    promoted = api.admin_call("POST", "promote", {"version": "3", "reason": "better"})
    assert promoted.status_code == 200, promoted.text
    assert api.served_version() == "3"
    rolled_back = api.admin_call("POST", "rollback", {"reason": "worse"})
    assert rolled_back.status_code == 200, rolled_back.text
    misses = api.cache_count("miss")
    assert api.served_version() == "2"
    assert api.cache_count("miss") == misses + 1, "version 2's cached answer survived"
    log = api.admin_call("GET", "deployments").json()
    assert [(e["action"], e["from_version"], e["to_version"]) for e in log[:2]] == [
        ("rollback", "3", "2"), ("promote", "2", "3"),
    ]  # fmt: skip
    assert api.admin_call("POST", "rollback", {"reason": "again"}).status_code == 409


def test_a_canary_takes_its_share_of_requests(api: Api) -> None:
    routed = api.admin_call("PUT", "routing", {"challenger": "3", "canary_weight": 0.3})
    assert routed.status_code == 200, routed.text
    versions = [api.predict({**ROW, "age": 20 + i % 50}).json()["predictions"][0]["version"]
                for i in range(300)]  # fmt: skip
    share = versions.count("3") / len(versions)
    assert 0.2 < share < 0.4, f"canary share {share:.2f} for weight 0.3"
    assert api.admin_call("PUT", "routing", {}).status_code == 200


def test_shadow_answers_are_recorded_but_never_returned(api: Api) -> None:
    assert api.admin_call("PUT", "routing", {"challenger": "3", "shadow": True}).status_code == 200
    answers = [api.predict({**ROW, "hours_per_week": 30 + i}) for i in range(20)]
    assert {a.json()["predictions"][0]["version"] for a in answers} == {"2"}
    request_ids = {a.json()["request_id"] for a in answers}
    deadline = time.monotonic() + 10
    recorded: set[str] = set()
    while time.monotonic() < deadline and not request_ids <= recorded:
        shadows = api.admin_call("GET", "shadow?limit=1000").json()
        recorded = {s["request_id"] for s in shadows if s["shadow_version"] == "3"}
        time.sleep(0.2)
    assert request_ids <= recorded
    assert api.admin_call("PUT", "routing", {}).status_code == 200


def test_feedback_labels_only_the_tenants_own_predictions(api: Api) -> None:
    request_id = api.predict(ROW, ROW).json()["request_id"]
    body = {"labels": [{"request_id": request_id, "position": 1, "label": 1}]}
    accepted = httpx.post(api.feedback_url, json=body, headers=api.user, timeout=10)
    assert accepted.json() == {"accepted": 1}
    foreign = httpx.post(api.feedback_url, json=body, headers=api.admin, timeout=10)
    assert foreign.status_code == 422
    assert foreign.json()["detail"][0]["loc"] == ["body", "labels", 0, "request_id"]


def test_explanations_add_up_to_the_prediction(api: Api) -> None:
    answer = httpx.post(api.explain_url, json={"instances": [ROW]}, headers=api.user, timeout=60)
    assert answer.status_code == 200, answer.text
    (explanation,) = answer.json()["explanations"]
    total = explanation["base_value"] + sum(explanation["attributions"].values())
    assert total == pytest.approx(explanation["output"], abs=1e-3)
    predicted = api.predict(ROW).json()["predictions"][0]["probability"]
    assert explanation["output"] == pytest.approx(predicted, abs=1e-5)
    assert "sex" not in explanation["attributions"]


def metric(url: str | None, name: str, **labels: str) -> float | None:
    """The sum of the samples of `name` that have these labels, read from `url` as a
    scraper reads it; None when there is none."""
    assert url is not None
    text = httpx.get(url, timeout=10).text
    found = [sample.value for family in text_string_to_metric_families(text)
             for sample in family.samples
             if sample.name == name and labels.items() <= sample.labels.items()]  # fmt: skip
    return sum(found) if found else None


@pytest.fixture(scope="module")
def applicants(adult: AdultDataset) -> list[dict[str, Any]]:
    """Real applicants of the test split as a client sends them: few repeat, so the cache
    answers few of them."""
    names = [c.name for c in adult.schema.columns if c.name != "applicant_id"]
    frame = adult.test[names][:3000]
    return [{str(k): None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
            for r in frame.to_dict("records")]  # fmt: skip


class Traffic:
    """One client sending one applicant per request, one request after another, in a
    thread, while the block runs; the statuses it got."""

    def __init__(self, api: Api, rows: Iterator[dict[str, Any]], pause_s: float = 0.03) -> None:
        self.api, self.rows, self.pause_s = api, rows, pause_s
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send)

    def __enter__(self) -> "Traffic":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def _send(self) -> None:
        with httpx.Client(headers=self.api.user, timeout=60) as session:
            while not self._stop.is_set():
                answer = session.post(self.api.predict_url, json={"instances": [next(self.rows)]})
                self.statuses.append(answer.status_code)
                time.sleep(self.pause_s)


def seconds_until(check: Callable[[], bool], since: float, limit_s: float) -> float:
    """Seconds from `since` until `check()` holds, polled every 0.1 s."""
    while not check():
        assert time.monotonic() - since < limit_s, f"not within {limit_s} s: {check.__doc__}"
        time.sleep(0.1)
    return time.monotonic() - since


def counted(api: Api) -> tuple[float, float, float]:
    """Instances answered by the model, answered by the CPU fallback, and missed by the
    cache (each sent to the model once), as the gateway's metrics say."""
    model = {"model": SERVED_MODEL}
    gateway = api.descriptor.endpoints.metrics
    return (metric(gateway, "readiness_inferred_instances_total", **model) or 0.0,
            metric(gateway, "readiness_fallback_instances_total", **model) or 0.0,
            api.cache_count("miss"))  # fmt: skip


def test_a_failing_accelerator_is_answered_by_the_cpu_fallback_counted_and_paged(
    api: Api, applicants: list[dict[str, Any]], record_property: Callable[[str, object], None]
) -> None:
    """While the accelerator fails every request still answers, from the CPU fallback, and
    the gateway counts each instance it answered once, as the fallback's. The monitor
    measures the fallback's share from those counters: it pages, and resolves after the
    repair, after which the fallback counts no more. The delays are recorded, not bounded
    tightly: the monitor's one poll loop also runs the alerts' actions, and on a starved
    machine a slow action delays it (a few seconds each way when the machine is quiet)."""
    monitor = api.descriptor.endpoints.monitor_metrics
    model = {"model": SERVED_MODEL}
    supply = itertools.cycle(applicants)

    def paging() -> bool:
        """the accelerator-fallback alert fires"""
        alert = {**model, "rule": "accelerator-fallback", "severity": "high"}
        return metric(monitor, "readiness_alerts_firing", **alert) == 1

    def resolved() -> bool:
        """the accelerator-fallback alert no longer fires"""
        return not paging()

    before = counted(api)
    assert api.fault("accelerator-failure").status_code == 200
    broken = time.monotonic()
    with Traffic(api, supply) as faulty:
        fired_after = seconds_until(paging, broken, limit_s=30)
        ratio = metric(monitor, "readiness_fallback_ratio", **model)
    assert ratio is not None
    assert ratio > 0.1
    answered, by_fallback, missed = (a - b for a, b in zip(counted(api), before, strict=True))
    assert set(faulty.statuses) == {200}
    assert answered == by_fallback == missed > 0
    assert api.fault("clear").status_code == 200
    repaired = time.monotonic()
    with Traffic(api, supply) as healthy:
        resolved_after = seconds_until(resolved, repaired, limit_s=60)
        assert metric(monitor, "readiness_fallback_ratio", **model) == 0
        settled = counted(api)
        time.sleep(2)
        later = counted(api)
    assert set(healthy.statuses) == {200}
    assert later[0] > settled[0]
    assert later[1] == settled[1], "the fallback still answers after the repair"
    record_property("alert_fired_after_s", round(fired_after, 1))
    record_property("alert_resolved_after_s", round(resolved_after, 1))


def test_a_replica_killed_under_load_loses_no_accepted_request(api: Api) -> None:
    statuses: list[int] = []
    stop = threading.Event()

    def client(worker: int) -> None:
        with httpx.Client(headers=api.user, timeout=60) as session:
            index = 0
            while not stop.is_set():
                row = {**ROW, "age": 17 + (worker * 1000 + index) % 70}
                answer = session.post(api.predict_url, json={"instances": [row]})
                statuses.append(answer.status_code)
                index += 1

    before = counted(api)
    workers = [threading.Thread(target=client, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)
    killed = api.fault("kill-replica")
    time.sleep(4.0)
    stop.set()
    for worker in workers:
        worker.join(60)
    assert killed.status_code == 200, killed.text
    assert "killed replica process" in killed.json()["done"]
    assert statuses.count(200) > 50
    refused_or_answered = {200, 429}  # a 429 was refused before it was accepted
    assert set(statuses) <= refused_or_answered, f"{len(statuses)}: {sorted(set(statuses))}"
    answered, by_fallback, missed = (a - b for a, b in zip(counted(api), before, strict=True))
    assert answered == missed, "an instance retried on another replica was counted twice"
    assert by_fallback == 0


def test_the_metrics_count_running_replicas(api: Api) -> None:
    assert api.descriptor.endpoints.metrics is not None
    text = httpx.get(api.descriptor.endpoints.metrics, timeout=10).text
    assert f'readiness_replicas{{model="{SERVED_MODEL}",version="2"}}' in text


# --- the bad-rollout fault hook and its undo ----------------------------------------------


def test_the_descriptor_undoes_a_bad_rollout_with_restore(api: Api) -> None:
    hooks = {hook.name: hook for hook in api.descriptor.fault_hooks}
    assert (hooks["bad-rollout"].payload, hooks["bad-rollout"].undo) == (
        {"fault": "bad_rollout"}, "restore",
    )  # fmt: skip
    assert (hooks["restore"].payload, hooks["restore"].undo) == ({"fault": "restore"}, None)
    assert hooks["slow-replica"].undo == "clear"


def test_a_bad_rollout_promotes_an_approved_degraded_version_that_inverts_predictions(
    api: Api, operated_home: Home
) -> None:
    before = api.predict(ROW).json()["predictions"][0]
    assert before["version"] == "2"
    rolled_out = api.fault("bad-rollout")
    assert rolled_out.status_code == 200, rolled_out.text
    assert rolled_out.json() == {
        "done": f"promoted version 5 of {SERVED_MODEL}, a degraded copy of version 2 "
        "(probability inverted)",
        "version": "5",
    }
    after = api.predict(ROW).json()["predictions"][0]
    assert after["version"] == "5"
    assert after["probability"] == pytest.approx(1 - before["probability"], abs=1e-5)
    registry = ModelRegistry(f"sqlite:///{operated_home.mlflow_db}")
    degraded = registry.describe(SERVED_MODEL, "5")
    assert degraded.aliases == ["champion"]
    assert degraded.approval is not None
    assert degraded.approval.approved_by == "ops"
    assert "deliberate fault injection" in degraded.approval.reason
    tags = registry.client.get_model_version(SERVED_MODEL, "5").tags
    assert tags[DEGRADED_TAG] == "bad_rollout of version 2: probability inverted (1 - p)"
    log = api.admin_call("GET", "deployments").json()
    assert [(e["action"], e["from_version"], e["to_version"]) for e in log[:2]] == [
        ("fault", None, "5"), ("promote", "2", "5"),
    ]  # fmt: skip


def test_a_second_bad_rollout_is_refused_while_one_serves(api: Api) -> None:
    refused = api.fault("bad-rollout")
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": f"champion version 5 of {SERVED_MODEL} is already degraded; restore it first"
    }
    assert api.served_version() == "5"


def test_restore_brings_back_the_previous_champion_and_then_does_nothing(api: Api) -> None:
    restored = api.fault("restore")
    assert restored.status_code == 200, restored.text
    assert restored.json() == {
        "done": f"rolled back degraded version 5 of {SERVED_MODEL} to version 2",
        "version": "2",
    }
    assert api.served_version() == "2"
    again = api.fault("restore")
    assert again.status_code == 200, again.text
    assert again.json() == {
        "done": f"nothing to restore: champion version 2 of {SERVED_MODEL} is not degraded",
        "version": "2",
    }
    assert api.served_version() == "2"
