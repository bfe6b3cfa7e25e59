"""Export the torch networks to ONNX and prove the export reproduces them.

The ONNX graph takes `numeric` (float32, N x numeric inputs) and `categorical` (int64,
N x categorical inputs) and returns `probability` (float32, N); the batch dimension is
dynamic so one file serves single requests and large batches.
"""

import logging
import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import torch

from readiness.errors import ExportFailed
from reference.platform.model.architectures import Classifier
from reference.platform.model.runtime import OnnxModel

INPUT_NAMES = ("numeric", "categorical")
OUTPUT_NAME = "probability"
PARITY_TOLERANCE = 1e-4
"""Largest absolute difference in probability allowed between torch and ONNX Runtime."""


def export_onnx(
    model: Classifier,
    path: Path,
    numeric: npt.NDArray[np.float32],
    categorical: npt.NDArray[np.int64],
) -> Path:
    """Write `model` to `path` and check ONNX Runtime agrees with torch on the given rows."""
    model = model.eval()
    example = (torch.as_tensor(numeric[:8]), torch.as_tensor(categorical[:8]))
    batch = torch.export.Dim("batch", min=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            model,
            example,
            input_names=list(INPUT_NAMES),
            output_names=[OUTPUT_NAME],
            dynamic_shapes={"numeric": {0: batch}, "categorical": {0: batch}},
            dynamo=True,
            verbose=False,
        )
    if program is None:
        raise ExportFailed(f"torch.onnx.export returned no program for {path.name}")
    program.save(str(path))
    onnx.checker.check_model(str(path))
    check_parity(model, path, numeric, categorical)
    return path


def check_parity(
    model: Classifier,
    path: Path,
    numeric: npt.NDArray[np.float32],
    categorical: npt.NDArray[np.int64],
    tolerance: float = PARITY_TOLERANCE,
) -> float:
    """Largest probability difference between torch and ONNX Runtime; raise past tolerance."""
    with torch.no_grad():
        expected = model(torch.as_tensor(numeric), torch.as_tensor(categorical)).numpy()
    actual = OnnxModel(path).predict(numeric, categorical)
    difference = float(np.max(np.abs(expected - actual)))
    if not difference <= tolerance:
        raise ExportFailed(
            f"{path.name}: ONNX Runtime differs from torch by {difference:.2e} "
            f"(tolerance {tolerance:.0e})"
        )
    return difference
