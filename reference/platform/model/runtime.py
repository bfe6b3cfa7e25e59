"""ONNX Runtime sessions for the exported models, on one thread unless told otherwise.

The CUDA execution provider is used when ONNX Runtime offers it (a GPU build on a GPU
machine); otherwise the CPU provider.
"""

from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort


def available_providers(prefer_gpu: bool = True) -> list[str]:
    offered = ort.get_available_providers()
    providers = (
        ["CUDAExecutionProvider"] if prefer_gpu and "CUDAExecutionProvider" in offered else []
    )
    return [*providers, "CPUExecutionProvider"]


class OnnxModel:
    """A loaded model: `predict(numeric, categorical) -> probability`."""

    def __init__(self, path: Path, threads: int = 1, prefer_gpu: bool = False) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.path = path
        self.session = ort.InferenceSession(
            str(path), options, providers=available_providers(prefer_gpu)
        )
        self._output = self.session.get_outputs()[0].name

    def predict(
        self, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        feeds = {
            "numeric": numeric.astype(np.float32, copy=False),
            "categorical": categorical.astype(np.int64, copy=False),
        }
        (probability,) = self.session.run([self._output], feeds)
        return np.asarray(probability, dtype=np.float32).reshape(-1)
