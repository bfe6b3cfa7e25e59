"""The prototype fleet as teams first ship one: the FP32 student copied onto each device by
hand, never updated nor checked, and telemetry that is lost while a link is down."""

import shutil
from collections.abc import Iterator

import pytest

from readiness.errors import InvalidInput
from readiness.home import Home
from reference.edge import deployment, supervision
from reference.edge.link import cut, restore
from reference.edge.supervision import control_file
from tests.reference.edge.fleet_client import descriptor_of, fleet, logged, predict, wait_for


@pytest.fixture(scope="module")
def prototype(champion_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    home = Home(tmp_path_factory.mktemp("edge-prototype") / "home")
    shutil.copytree(champion_home.root, home.root)
    deployment.up(home, "prototype")
    try:
        yield home
    finally:
        supervision.down(home)


def test_the_prototype_serves_a_hand_copied_file_without_keys_monitors_or_hooks(
    prototype: Home,
) -> None:
    descriptor = descriptor_of(prototype)
    assert descriptor.profile == "prototype"
    assert descriptor.credentials.api_key_env is None
    assert descriptor.fault_hooks == []
    assert descriptor.endpoints.monitor_metrics is None
    assert {d["version"] for d in fleet(prototype).values()} == {"copied-by-hand"}
    place = supervision.folder(prototype)
    assert not (place / "releaser.pid").exists()
    assert not list((place / "devices").glob("*/release-signing.pub"))


def test_the_prototype_loses_what_a_device_answered_while_its_link_was_down(
    prototype: Home,
) -> None:
    control = control_file(supervision.folder(prototype), "edge-2")
    online = [a["request_id"] for a in predict(prototype, 20, device="edge-2")]
    assert wait_for(lambda: set(logged(prototype, online).values()) == {1}, 30)
    cut(control)
    try:
        assert wait_for(lambda: fleet(prototype)["edge-2"]["link"] == "down", 10)
        offline = predict(prototype, 20, device="edge-2")
        assert [a["status"] for a in offline] == [200] * 20  # it answers, as production does
    finally:
        restore(control)
    assert wait_for(lambda: fleet(prototype)["edge-2"]["link"] == "up", 30)
    after = [a["request_id"] for a in predict(prototype, 5, device="edge-2")]
    assert wait_for(lambda: set(logged(prototype, after).values()) == {1}, 30)
    ids = [a["request_id"] for a in offline]
    assert set(logged(prototype, ids).values()) == {0}


def test_the_prototype_refuses_production_options(champion_home: Home) -> None:
    with pytest.raises(InvalidInput, match="--faults and --monitor-config are production's"):
        deployment.up(champion_home, "prototype", faults=True)
