from readiness.home import Home
from reference.platform.features.online import FeastFeatures
from reference.platform.features.repo import open_store
from reference.platform.model.lifecycle import TrainingSummary
from reference.platform.model.schema import load_schema


def test_known_applicants_get_their_online_features_and_strangers_none(
    trained: tuple[Home, TrainingSummary],
) -> None:
    home, _ = trained
    lookup = FeastFeatures(open_store(home.feature_repo), load_schema())
    found = lookup.lookup(["A0000002", "A9999999"])
    assert found["A9999999"] is None
    known = found["A0000002"]
    assert known is not None
    assert known["education"] == "Bachelors"
    assert known["capital_gain"] == 0.0
