import numpy as np
import pytest
import torch
from torch.nn import functional

from reference.platform.model.dataset import AdultDataset
from reference.platform.model.training import (
    TrainingConfig,
    equalised_odds_penalty,
    training_data,
)

LABELS = torch.tensor([1.0] * 10 + [0.0] * 10 + [1.0] * 10 + [0.0] * 10)
GROUPS = [functional.one_hot(torch.tensor([0] * 20 + [1] * 20)).float()]


def test_equal_scores_across_groups_cost_nothing() -> None:
    probability = torch.where(LABELS == 1, 0.8, 0.3)
    assert equalised_odds_penalty(probability, LABELS, GROUPS).item() == pytest.approx(0.0)


def test_a_group_scored_lower_among_positives_is_penalised() -> None:
    probability = torch.where(LABELS == 1, 0.8, 0.3)
    probability[20:30] = 0.4  # group 1's positives
    # overall positive mean 0.6; each group is 0.2 away: 2 x 0.04
    assert equalised_odds_penalty(probability, LABELS, GROUPS).item() == pytest.approx(0.08)


def test_groups_too_small_in_the_batch_are_skipped() -> None:
    probability = torch.where(LABELS == 1, 0.8, 0.3)
    probability[20:30] = 0.4
    assert equalised_odds_penalty(probability, LABELS, GROUPS, min_rows=11).item() == 0.0


def test_the_penalty_has_a_gradient() -> None:
    logits = torch.zeros(40, requires_grad=True)
    shifted = logits + torch.cat([torch.zeros(20), torch.ones(20)])
    equalised_odds_penalty(torch.sigmoid(shifted), LABELS, GROUPS).backward()  # type: ignore[no-untyped-call]
    assert logits.grad is not None
    assert logits.grad.abs().sum() > 0


def test_training_data_carries_sensitive_groups_but_inputs_do_not(adult: AdultDataset) -> None:
    data = training_data(adult.schema, adult.train.head(100))
    assert data.groups is not None
    assert data.groups.shape == (100, 2)
    assert data.numeric.shape[1] + data.categorical.shape[1] == len(adult.schema.model_inputs)
    assert set(np.unique(data.labels)) <= {0, 1}


def test_quick_sizes_are_smaller_than_full_sizes() -> None:
    quick, full = TrainingConfig.quick(), TrainingConfig.full()
    assert quick.teacher_members < full.teacher_members
    assert quick.student.epochs < full.student.epochs
    assert quick.fairness_weight == full.fairness_weight > 0
