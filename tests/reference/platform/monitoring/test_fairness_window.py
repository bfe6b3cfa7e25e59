"""The fairness window's lower bound tells a real equalised-odds gap from a small window's
noise: built from exact counts, so the right answer is known."""

import numpy as np
import pandas as pd

from reference.platform.model.fairness import POLICY_FOLDER, load_policy
from reference.platform.monitoring.fairness_window import fairness_window


def window(
    groups: dict[str, tuple[int, int, int, int]],
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Rows per group from (true positives, positives, false positives, negatives)."""
    truth, scores, sex = [], [], []
    for name, (hits, positives, false_alarms, negatives) in groups.items():
        truth += [1] * positives + [0] * negatives
        scores += [0.9] * hits + [0.1] * (positives - hits)
        scores += [0.9] * false_alarms + [0.1] * (negatives - false_alarms)
        sex += [name] * (positives + negatives)
    frame = pd.DataFrame({"sex": sex, "race": ["White"] * len(sex)})
    return np.array(truth), np.array(scores), frame


POLICY = load_policy(POLICY_FOLDER / "income-eligibility.yaml")


def test_a_small_gap_on_a_small_window_has_a_lower_bound_below_the_threshold() -> None:
    # TPR 0.50 for 40 women's positives vs 0.62 for 200 men's: a 0.12 point estimate
    measured = fairness_window(*window({"Female": (20, 40, 10, 300), "Male": (124, 200, 40, 460)}),
                               POLICY)  # fmt: skip
    assert measured.equalized_odds_difference["sex"] > 0.1
    assert measured.equalized_odds_lower["sex"] < 0.1


def test_an_injected_bias_has_a_lower_bound_above_the_threshold() -> None:
    # TPR 0.15 for 130 women's positives vs 0.62 for 200 men's
    measured = fairness_window(*window({"Female": (20, 130, 10, 210), "Male": (124, 200, 40, 460)}),
                               POLICY)  # fmt: skip
    assert measured.equalized_odds_lower["sex"] > 0.3


def test_groups_below_the_policy_minimum_are_not_compared() -> None:
    measured = fairness_window(*window({"Female": (1, 10, 0, 20), "Male": (124, 200, 40, 460)}),
                               POLICY)  # fmt: skip
    assert "sex" not in measured.equalized_odds_lower
