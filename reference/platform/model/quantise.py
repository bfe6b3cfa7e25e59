"""INT8 quantisation of the student with ONNX Runtime.

Static quantisation fixes activation scales from a calibration pass over real training
rows (QDQ format, which ONNX Runtime fuses into integer kernels); dynamic quantisation
computes activation scales per batch at run time and is kept as the comparison.
"""

import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

QUANTISED_OPS = ["MatMul", "Gemm"]
"""Only the dense layers: embeddings are lookups that INT8 would not speed up."""


class QuantisationMode(StrEnum):
    STATIC = "static"
    DYNAMIC = "dynamic"


class TrainingRowsReader(CalibrationDataReader):  # type: ignore[misc]
    """Feeds calibration batches of real training rows to the static quantiser."""

    def __init__(
        self,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
        batch_size: int = 256,
    ) -> None:
        self._batches: Iterator[dict[str, npt.NDArray[np.generic]]] = (
            {"numeric": numeric[i : i + batch_size], "categorical": categorical[i : i + batch_size]}
            for i in range(0, len(numeric), batch_size)
        )

    def get_next(self) -> dict[str, npt.NDArray[np.generic]] | None:
        return next(self._batches, None)


def quantise(
    source: Path,
    target: Path,
    mode: QuantisationMode,
    calibration: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]] | None = None,
) -> Path:
    """Write an INT8 version of `source` to `target`; static mode needs calibration rows."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        if mode is QuantisationMode.DYNAMIC:
            quantize_dynamic(
                str(prepared),
                str(target),
                weight_type=QuantType.QInt8,
                op_types_to_quantize=QUANTISED_OPS,
            )
            return target
        if calibration is None:
            raise ValueError("static quantisation needs calibration rows")
        quantize_static(
            str(prepared),
            str(target),
            TrainingRowsReader(*calibration),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=QUANTISED_OPS,
            per_channel=True,
            calibrate_method=CalibrationMethod.MinMax,
        )
    return target
