"""The teacher and the student: tabular networks over the schema's model inputs.

Both take the same two tensors, raw numeric values and categorical indices, and carry
their own preprocessing (log transform and standardisation) as buffers, so an exported
ONNX file is self-contained: a server needs only the schema's category lists.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from reference.platform.model.schema import FeatureSchema, Transform


@dataclass(frozen=True)
class InputSpec:
    """What the networks need to know about their inputs, derived from the schema and data."""

    numeric_mean: tuple[float, ...]
    numeric_std: tuple[float, ...]
    log_columns: tuple[bool, ...]
    cardinalities: tuple[int, ...]

    @classmethod
    def fit(cls, schema: FeatureSchema, numeric: npt.NDArray[np.float32]) -> "InputSpec":
        log_columns = tuple(c.transform is Transform.LOG1P for c in schema.numeric_inputs)
        transformed = np.where(np.array(log_columns), np.log1p(numeric), numeric)
        std = transformed.std(axis=0)
        return cls(
            numeric_mean=tuple(float(v) for v in transformed.mean(axis=0)),
            numeric_std=tuple(float(v) if v > 1e-6 else 1.0 for v in std),
            log_columns=log_columns,
            cardinalities=tuple(len(c.categories) + 1 for c in schema.categorical_inputs),
        )


class TabularInput(nn.Module):
    """Standardised numeric values concatenated with one embedding per categorical input."""

    mean: torch.Tensor
    std: torch.Tensor
    log_mask: torch.Tensor

    def __init__(self, spec: InputSpec, embedding_dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(spec.numeric_mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(spec.numeric_std, dtype=torch.float32))
        self.register_buffer("log_mask", torch.tensor(spec.log_columns, dtype=torch.bool))
        self.embeddings = nn.ModuleList(nn.Embedding(n, embedding_dim) for n in spec.cardinalities)
        self.width = len(spec.numeric_mean) + embedding_dim * len(spec.cardinalities)

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        logged = torch.where(self.log_mask, torch.log1p(torch.clamp(numeric, min=0.0)), numeric)
        scaled = (logged - self.mean) / self.std
        embedded = [table(categorical[:, i]) for i, table in enumerate(self.embeddings)]
        return torch.cat([scaled, *embedded], dim=1)


def _mlp(width: int, hidden: tuple[int, ...], dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


class TabularNet(nn.Module):
    """One network: inputs -> MLP -> logit."""

    def __init__(
        self, spec: InputSpec, embedding_dim: int, hidden: tuple[int, ...], dropout: float
    ) -> None:
        super().__init__()
        self.inputs = TabularInput(spec, embedding_dim)
        self.mlp = _mlp(self.inputs.width, hidden, dropout)

    def logit(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.inputs(numeric, categorical)).squeeze(1)  # type: ignore[no-any-return]

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logit(numeric, categorical))


class Ensemble(nn.Module):
    """The teacher: several wide networks whose logits are averaged."""

    def __init__(self, members: list[TabularNet]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def logit(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        logits = [member.logit(numeric, categorical) for member in self.members]  # type: ignore[operator]
        return torch.stack(logits, dim=0).mean(dim=0)

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logit(numeric, categorical))


Classifier = TabularNet | Ensemble


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def multiply_accumulates(model: nn.Module) -> int:
    """MACs per prediction: every Linear layer costs in x out; lookups and activations are free."""
    return sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear))
