"""Train the teacher ensemble, then distil the student from the teacher's soft labels.

Runs on CUDA when a GPU is present and on the CPU otherwise; results are seeded so that
two runs on the same device give the same models.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch.nn import functional

from reference.platform.models.architectures import Ensemble, InputSpec, TabularNet

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
                batch_size=256,
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


@dataclass(frozen=True)
class TrainingData:
    numeric: npt.NDArray[np.float32]
    categorical: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]


def training_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def train_teacher(
    spec: InputSpec,
    data: TrainingData,
    config: TrainingConfig,
    progress: ProgressCallback | None = None,
) -> Ensemble:
    device = training_device()
    labels = torch.as_tensor(data.labels, dtype=torch.float32).to(device)

    def member_loss(logits: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        return functional.binary_cross_entropy_with_logits(logits, labels[batch])

    members: list[TabularNet] = []
    epochs, total = config.teacher.epochs, config.teacher_members * config.teacher.epochs
    for index in range(config.teacher_members):
        torch.manual_seed(config.seed + index)
        member = TabularNet(
            spec, config.teacher.embedding_dim, config.teacher.hidden, config.teacher.dropout
        ).to(device)
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
) -> TabularNet:
    """Fit the student to a blend of hard labels and the teacher's tempered probabilities."""
    device = training_device()
    with torch.no_grad():
        teacher_logits = teacher.logit(
            torch.as_tensor(data.numeric), torch.as_tensor(data.categorical)
        )
    soft = torch.sigmoid(teacher_logits / config.temperature).to(device)
    hard = torch.as_tensor(data.labels, dtype=torch.float32).to(device)
    weight, temperature = config.distillation_weight, config.temperature

    def distillation_loss(logits: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        hard_loss = functional.binary_cross_entropy_with_logits(logits, hard[batch])
        soft_loss = functional.binary_cross_entropy_with_logits(logits / temperature, soft[batch])
        return (1 - weight) * hard_loss + weight * temperature**2 * soft_loss

    torch.manual_seed(config.seed + 1000)
    student = TabularNet(
        spec, config.student.embedding_dim, config.student.hidden, config.student.dropout
    ).to(device)
    _fit(
        student,
        data,
        config.student,
        distillation_loss,
        config.seed + 1000,
        _report(progress, "student", 0, config.student.epochs),
    )
    return student.cpu().eval()


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
    numeric = torch.as_tensor(data.numeric).to(device)
    categorical = torch.as_tensor(data.categorical).to(device)
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
