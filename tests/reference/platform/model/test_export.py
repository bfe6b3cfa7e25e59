from pathlib import Path

import onnx
import pytest
import torch

from readiness.errors import ExportFailed
from reference.platform.model.architectures import Ensemble, InputSpec, TabularNet
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.export import check_parity, export_onnx
from reference.platform.model.quantise import QuantisationMode, quantise
from reference.platform.model.runtime import OnnxModel


def small_net(adult: AdultDataset, seed: int) -> TabularNet:
    numeric, _ = adult.schema.encode(adult.train.head(500))
    torch.manual_seed(seed)
    return TabularNet(InputSpec.fit(adult.schema, numeric), 4, (16,), 0.0).eval()


def test_onnx_runtime_reproduces_torch_for_any_batch_size(
    adult: AdultDataset, tmp_path: Path
) -> None:
    numeric, categorical = adult.schema.encode(adult.test.head(300))
    model = small_net(adult, seed=1)
    path = export_onnx(model, tmp_path / "net.onnx", numeric, categorical)
    runtime = OnnxModel(path)
    assert runtime.predict(numeric[:1], categorical[:1]).shape == (1,)
    assert check_parity(model, path, numeric, categorical) <= 1e-4


def test_an_ensemble_exports_as_one_graph(adult: AdultDataset, tmp_path: Path) -> None:
    """One file, the schema's two inputs and one output, answering the members' average
    rather than any one member's."""
    numeric, categorical = adult.schema.encode(adult.test.head(64))
    first, second = small_net(adult, 1), small_net(adult, 2)
    path = export_onnx(Ensemble([first, second]).eval(), tmp_path / "e.onnx", numeric, categorical)
    graph = onnx.load(str(path)).graph
    assert [i.name for i in graph.input] == ["numeric", "categorical"]
    assert len(graph.output) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.onnx"]
    answered = OnnxModel(path).predict(numeric, categorical)
    with torch.no_grad():
        members = [m(torch.as_tensor(numeric), torch.as_tensor(categorical)).numpy()
                   for m in (first, second)]  # fmt: skip
    for member in members:
        assert abs(answered - member).max() > 1e-3


def test_a_file_that_is_not_the_model_fails_the_parity_check(
    adult: AdultDataset, tmp_path: Path
) -> None:
    numeric, categorical = adult.schema.encode(adult.test.head(200))
    path = export_onnx(small_net(adult, 1), tmp_path / "one.onnx", numeric, categorical)
    with pytest.raises(ExportFailed, match=r"one\.onnx: ONNX Runtime differs from torch"):
        check_parity(small_net(adult, 2), path, numeric, categorical)


@pytest.mark.parametrize("mode", list(QuantisationMode), ids=lambda m: f"{m} quantisation")
def test_quantisation_writes_integer_dense_layers(
    adult: AdultDataset, tmp_path: Path, mode: QuantisationMode
) -> None:
    numeric, categorical = adult.schema.encode(adult.train.head(1000))
    source = export_onnx(small_net(adult, 1), tmp_path / "fp32.onnx", numeric, categorical)
    target = quantise(source, tmp_path / f"{mode}.onnx", mode, (numeric, categorical))
    operators = {node.op_type for node in onnx.load(str(target)).graph.node}
    assert operators & {"QuantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "QLinearMatMul"}
    assert OnnxModel(target).predict(numeric[:5], categorical[:5]).shape == (5,)
