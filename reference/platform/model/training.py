"""Train the teacher ensemble, then distil the student from the teacher's soft labels.

Runs on CUDA when a GPU is present and on the CPU otherwise; results are seeded so that
two runs on the same device give the same models.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch.nn import functional

from reference.platform.model.architectures import Ensemble, InputSpec, TabularNet
from reference.platform.model.schema import FeatureSchema

ProgressCallback = Callable[[str, int, int], None]
"""Called as (stage, done, total) after every epoch; progress bars subscribe to it."""


class NetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    embedding_dim: int = Field(ge=1)
    hidden: tuple[int, ...]
    dropout: float = Field(ge=0.0, lt=1.0)
    epochs: int = Field(ge=1)
    learning_rate: float = Field(gt=0.0)
    batch_size: int = Field(ge=1)


class TrainingConfig(BaseModel):
    """Hyperparameters of the whole lifecycle; logged to MLflow as they are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = 7
    teacher_members: int = Field(ge=1)
    teacher: NetConfig
    student: NetConfig
    temperature: float = Field(gt=0.0)
    distillation_weight: float = Field(ge=0.0, le=1.0)
    """Share of the student's loss that follows the teacher's soft labels."""
    fairness_weight: float = Field(default=3.0, ge=0.0)
    """Weight of the equalised-odds penalty on the student (0 turns the mitigation off)."""

    @classmethod
    def full(cls) -> "TrainingConfig":
        return cls(
            teacher_members=4,
            teacher=NetConfig(
                embedding_dim=16,
                hidden=(1024, 512, 256),
                dropout=0.2,
                epochs=8,
                learning_rate=1e-3,
                batch_size=256,
            ),
            student=NetConfig(
                embedding_dim=6,
                hidden=(384, 192),
                dropout=0.0,
                epochs=20,
                learning_rate=2e-3,
                batch_size=1024,
            ),
            temperature=2.0,
            distillation_weight=0.7,
        )

    @classmethod
    def quick(cls) -> "TrainingConfig":
        full = cls.full()
        return full.model_copy(
            update={
                "teacher_members": 2,
                "teacher": full.teacher.model_copy(update={"epochs": 2}),
                "student": full.student.model_copy(update={"epochs": 6}),
            }
        )

    @classmethod
    def tiny(cls) -> "TrainingConfig":
        """The smallest sizes that still learn Adult: for tests of what happens around
        training (registry, retraining), never for measuring models."""
        full = cls.full()
        return full.model_copy(
            update={
                "teacher_members": 1,
                "teacher": full.teacher.model_copy(update={"hidden": (64, 32), "epochs": 2}),
                "student": full.student.model_copy(update={"hidden": (32, 16), "epochs": 4}),
            }
        )


@dataclass(frozen=True)
class TrainingData:
    numeric: npt.NDArray[np.float32]
    categorical: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]
    groups: npt.NDArray[np.int64] | None = None
    """Sensitive group codes (rows x sensitive attributes), used only by the fairness
    penalty during training; never a model input."""


def training_data(schema: FeatureSchema, frame: pd.DataFrame) -> TrainingData:
    """Model inputs, labels and sensitive group codes of a labelled frame."""
    numeric, categorical = schema.encode(frame)
    labels = frame[schema.label.name].to_numpy(dtype=np.int64)
    return TrainingData(numeric, categorical, labels, schema.encode_sensitive(frame))


def training_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_teacher(
    spec: InputSpec,
    data: TrainingData,
    config: TrainingConfig,
    progress: ProgressCallback | None = None,
    device: torch.device | None = None,
) -> Ensemble:
    device = device or training_device()
    labels = torch.tensor(data.labels, dtype=torch.float32).to(device)

    def member_loss(logits: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        return functional.binary_cross_entropy_with_logits(logits, labels[batch])

    members: list[TabularNet] = []
    epochs, total = config.teacher.epochs, config.teacher_members * config.teacher.epochs
    for index in range(config.teacher_members):
        member = _seeded_network(spec, config.teacher, config.seed + index, device)
        _fit(
            member,
            data,
            config.teacher,
            member_loss,
            config.seed + index,
            _report(progress, "teacher", index * epochs, total),
        )
        members.append(member.cpu().eval())
    return Ensemble(members).eval()


def distil_student(
    spec: InputSpec,
    data: TrainingData,
    teacher: Ensemble,
    config: TrainingConfig,
    progress: ProgressCallback | None = None,
    device: torch.device | None = None,
) -> TabularNet:
    """Fit the student to a blend of hard labels and the teacher's tempered probabilities."""
    device = device or training_device()
    with torch.no_grad():
        teacher_logits = teacher.logit(
            torch.as_tensor(data.numeric), torch.as_tensor(data.categorical)
        )
    soft = torch.sigmoid(teacher_logits / config.temperature).to(device)
    hard = torch.tensor(data.labels, dtype=torch.float32).to(device)
    weight, temperature = config.distillation_weight, config.temperature

    memberships = _memberships(data.groups, device)
    fairness_weight = config.fairness_weight if memberships else 0.0

    def distillation_loss(logits: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        hard_loss = functional.binary_cross_entropy_with_logits(logits, hard[batch])
        soft_loss = functional.binary_cross_entropy_with_logits(logits / temperature, soft[batch])
        loss = (1 - weight) * hard_loss + weight * temperature**2 * soft_loss
        if fairness_weight > 0:
            batch_members = [members[batch] for members in memberships]
            loss = loss + fairness_weight * equalised_odds_penalty(
                torch.sigmoid(logits), hard[batch], batch_members
            )
        return loss

    student = _seeded_network(spec, config.student, config.seed + 1000, device)
    _fit(
        student,
        data,
        config.student,
        distillation_loss,
        config.seed + 1000,
        _report(progress, "student", 0, config.student.epochs),
    )
    return student.cpu().eval()


def _seeded_network(
    spec: InputSpec, config: NetConfig, seed: int, device: torch.device
) -> TabularNet:
    """The same seed gives the same initial weights, so a retrain is reproducible."""
    torch.manual_seed(seed)
    return TabularNet(spec, config.embedding_dim, config.hidden, config.dropout).to(device)


def _memberships(groups: npt.NDArray[np.int64] | None, device: torch.device) -> list[torch.Tensor]:
    """One float one-hot matrix (rows x groups) per sensitive attribute, on the device."""
    if groups is None:
        return []
    codes = torch.tensor(groups)
    return [functional.one_hot(codes[:, i]).float().to(device) for i in range(codes.shape[1])]


def equalised_odds_penalty(
    probability: torch.Tensor,
    labels: torch.Tensor,
    memberships: Sequence[torch.Tensor],
    min_rows: int = 5,
) -> torch.Tensor:
    """Squared gaps between each group's mean score and everyone's, among positives and
    among negatives, summed over sensitive attributes: a smooth stand-in for the equalised
    odds difference that gradient descent can shrink. Groups with fewer than `min_rows`
    rows in the batch are skipped, their means being noise. `memberships` holds one
    rows x groups one-hot matrix per attribute; everything is masks and products, so the
    penalty never waits on the GPU."""
    penalty = probability.new_zeros(())
    for members in memberships:
        for label in (0.0, 1.0):
            among = (labels == label).to(probability.dtype)
            count = members.T @ among
            group_mean = (members.T @ (probability * among)) / count.clamp(min=1.0)
            overall = (probability * among).sum() / among.sum().clamp(min=1.0)
            counted = (count >= min_rows).to(probability.dtype)
            penalty = penalty + (counted * (group_mean - overall) ** 2).sum()
    return penalty


def _report(
    progress: ProgressCallback | None, stage: str, offset: int, total: int
) -> Callable[[int], None]:
    def on_epoch(done: int) -> None:
        if progress is not None:
            progress(stage, offset + done, total)

    return on_epoch


def _fit(
    model: TabularNet,
    data: TrainingData,
    config: NetConfig,
    loss_of: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    seed: int,
    on_epoch: Callable[[int], None],
) -> None:
    device = next(model.parameters()).device
    numeric = torch.tensor(data.numeric).to(device)
    categorical = torch.tensor(data.categorical).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=config.epochs)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for epoch in range(config.epochs):
        order = torch.randperm(len(numeric), generator=generator)
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            batch_on_device = batch.to(device)
            logits = model.logit(numeric[batch_on_device], categorical[batch_on_device])
            loss = loss_of(logits, batch_on_device)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
        schedule.step()
        on_epoch(epoch + 1)
    model.eval()
