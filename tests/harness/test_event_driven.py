"""The harness against the event-driven pipeline, deployed by `readiness run event-driven`
as a user would run it: its fault hooks fire through the descriptor, and every accepted
event is followed up through the results route."""

import json
import shutil
from pathlib import Path

import pandas as pd

from readiness.home import Home
from tests.reference.microservice.running import readiness

SCENARIOS = Path(__file__).parent / "scenarios"


def test_a_stream_run_counts_every_accepted_event_through_a_crash_and_poison(
    champion_home: Home, tmp_path: Path
) -> None:
    home = Home(tmp_path / "home")
    shutil.copytree(champion_home.root, home.root, ignore=shutil.ignore_patterns("deployments"))
    bundle = tmp_path / "bundle"
    scenario = str(SCENARIOS / "short-stream-faults.yaml")
    finished = readiness(home, "run", "event-driven", "-s", scenario, "--out", str(bundle))
    assert finished.returncode == 0, finished.stderr[-3000:]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["target"]["profile"] == "production"
    result = manifest["results"][0]
    measured = {e["name"]: (e["outcome"], e["value"]) for e in result["expectations"]}
    redelivered = measured["the killed batch was delivered again"]
    assert measured == {
        "no accepted event is lost": ("pass", 0),
        "nothing is duplicated": ("pass", 0),
        "the killed batch was delivered again": ("pass", redelivered[1]),
        "every poison event is dead-lettered": ("pass", 15),
    }, result
    requests = pd.read_parquet(bundle / "requests" / "short-stream-faults.parquet")
    accepted = requests[requests["status"] == 202]
    assert len(accepted) > 100
    assert (accepted["actions"] == 1).all()
    assert (accepted["results"] == 1).all()
    assert not list((home.root / "deployments" / "event-driven").glob("*.pid"))
