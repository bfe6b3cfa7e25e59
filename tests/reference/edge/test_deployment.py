"""The production fleet as `readiness up edge --faults` starts it: three devices behind cut-
able links, the cloud's releaser, collector and monitors, driven through the deployment's
own fault hooks as a scenario drives them."""

import shutil
from collections.abc import Iterator

import httpx
import pytest

from readiness.home import Home
from reference.edge import deployment, supervision
from reference.edge.faults import run_hook
from reference.platform.deploy.deployment_keys import API_KEY_ENV
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.served import SERVED_MODEL
from tests.reference.edge.fleet_client import (
    descriptor_of,
    fleet,
    logged,
    metric_total,
    predict,
    wait_for,
)


@pytest.fixture(scope="module")
def production(champion_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    home = Home(tmp_path_factory.mktemp("edge-production") / "home")
    shutil.copytree(champion_home.root, home.root)
    deployment.up(home, "production", faults=True)
    try:
        yield home
    finally:
        supervision.down(home)


def champion(home: Home) -> str:
    found = ModelRegistry(home.mlflow_tracking_uri).champion(SERVED_MODEL)
    assert found is not None
    return found.version


def test_every_device_serves_the_champion_it_verified_with_its_pinned_key(
    production: Home,
) -> None:
    devices = fleet(production)
    assert sorted(devices) == list(deployment.DEVICES)
    assert {d["version"] for d in devices.values()} == {champion(production)}
    assert all(d["link"] == "up" for d in devices.values())
    for device in deployment.DEVICES:
        pinned = supervision.folder(production) / "devices" / device / "release-signing.pub"
        assert pinned.is_file()
    hooks = {hook.name for hook in descriptor_of(production).fault_hooks}
    assert {"cut-link-edge-1", "push-corrupt-model", "push-slow-model", "cold-start"} <= hooks


def test_a_device_cut_off_answers_and_its_telemetry_arrives_once_when_the_link_returns(
    production: Home,
) -> None:
    place = supervision.folder(production)
    run_hook(place, "cut-link", "edge-1")
    try:
        assert wait_for(lambda: fleet(production)["edge-1"]["link"] == "down", 10)
        answers = predict(production, 60, device="edge-1")
        assert [a["status"] for a in answers] == [200] * 60
        # queued in memory, in the outbox within the second
        assert wait_for(lambda: fleet(production)["edge-1"]["outbox_depth"] >= 60, 5)
        ids = [a["request_id"] for a in answers]
        assert set(logged(production, ids).values()) == {0}  # nothing crossed the cut link
    finally:
        run_hook(place, "restore-link", "edge-1")
    arrived = wait_for(lambda: set(logged(production, ids).values()) == {1}, 60)
    assert arrived, logged(production, ids)
    assert fleet(production)["edge-1"]["dropped"] == {}


def test_corrupt_unsigned_and_broken_releases_are_refused_and_the_champion_keeps_serving(
    production: Home,
) -> None:
    place = supervision.folder(production)
    refusals = "readiness_edge_release_refusals_total"
    try:
        for kind in ("corrupt", "unsigned", "broken"):
            expected = metric_total(production, refusals) + 3
            run_hook(place, "push-model", kind)
            refused = wait_for(lambda: metric_total(production, refusals) >= expected, 20)  # noqa: B023
            assert refused, f"not every device refused the {kind} release"
            answers = predict(production, 9)
            assert {a["version"] for a in answers} == {champion(production)}
    finally:
        run_hook(place, "republish", None)
    reasons = {r for d in fleet(production).values() for r in d["refused"].values()}
    assert any("canaries" in reason for reason in reasons)  # only the genuine one is kept


def test_a_signed_release_too_slow_for_the_device_is_rolled_back_on_every_device(
    production: Home,
) -> None:
    place = supervision.folder(production)
    before = metric_total(production, "readiness_edge_rollbacks_total")
    run_hook(place, "push-model", "slow")
    try:
        slow = f"{champion(production)}+slow"
        assert wait_for(lambda: {d["version"] for d in fleet(production).values()} == {slow}, 20)
        for device in deployment.DEVICES:
            predict(production, 60, device=device)
        rolled = wait_for(lambda: metric_total(
            production, "readiness_edge_rollbacks_total") >= before + 3, 30)  # fmt: skip
        assert rolled
        assert {d["version"] for d in fleet(production).values()} == {champion(production)}
        assert all("p99 latency" in str(d["refused"]) for d in fleet(production).values())
    finally:
        run_hook(place, "republish", None)


def test_a_replaced_device_serves_a_verified_model_after_its_cold_start(production: Home) -> None:
    done = run_hook(supervision.folder(production), "cold-start", "edge-3")
    assert done["serving_after_s"] < 60
    assert fleet(production)["edge-3"]["version"] == champion(production)


def test_a_device_refuses_an_applicant_id_it_has_no_features_for_and_names_the_field(
    production: Home,
) -> None:
    descriptor = descriptor_of(production)
    credentials = supervision.folder(production) / "credentials.env"
    key = dict(line.split("=", 1) for line in credentials.read_text().splitlines())
    answer = httpx.post(descriptor.endpoints.predict.format(model=descriptor.model),
                        json={"instances": [{"applicant_id": "A0000123"}]},
                        headers={"x-api-key": key[API_KEY_ENV]}, timeout=10)  # fmt: skip
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"][-1] == "applicant_id"
    assert "no feature store" in answer.json()["detail"][0]["msg"]
