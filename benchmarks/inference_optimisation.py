"""Inference optimisation, side by side: teacher FP32, student FP32, student INT8 (static and
dynamic) on ONNX Runtime, and both networks in torch eager mode, all on one thread.

Run: `python -m benchmarks.inference_optimisation [--quick] [--seconds S] [--rounds N]`.
Every variant is measured once per round, rounds interleaved, and the median round is
reported, so a burst of noise on the machine does not favour whichever variant ran then.
The targets (from the whitepaper) are checked against what was measured, and a miss is
printed as a miss.
"""

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
from rich.console import Console
from rich.table import Table

from benchmarks.common import build_variants
from reference.platform.model.architectures import multiply_accumulates, parameter_count
from reference.platform.model.evaluation import Cost, Predict, measure_cost, measure_quality
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.training import training_device

RESULTS = Path(__file__).parent / "results"
RETAIN_ACC = "student/teacher accuracy retention"
RETAIN_AUC = "student/teacher AUC retention"
COST_RATIO = "cost ratio teacher/student int8 (throughput b256)"
INT8_POINTS = "int8 - fp32 accuracy (points)"


def torch_predict(network: torch.nn.Module) -> Predict:
    def predict(
        numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        with torch.inference_mode():
            output = network(torch.from_numpy(numeric), torch.from_numpy(categorical))
        return output.numpy()  # type: ignore[no-any-return]

    return predict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="quick training sizes")
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per measure")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median kept)")
    args = parser.parse_args()
    console = Console(width=170)
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as scratch:
        built, rows = build_variants(console, args.quick, Path(scratch))
        test_numeric, test_categorical, labels = rows.numeric, rows.categorical, rows.labels
        torch.set_num_threads(1)
        networks = {"teacher": built.teacher, "student": built.student}
        variants: dict[str, Predict] = {
            "teacher fp32 (onnx)": OnnxModel(built.files["teacher"]).predict,
            "student fp32 (onnx)": OnnxModel(built.files["student"]).predict,
            "student int8 static (onnx)": OnnxModel(built.files["student_int8"]).predict,
            "student int8 dynamic (onnx)": OnnxModel(built.files["student_int8_dynamic"]).predict,
            "teacher (torch eager)": torch_predict(built.teacher),
            "student (torch eager)": torch_predict(built.student),
        }
        quality = {
            name: measure_quality(predict, test_numeric, test_categorical, labels)[0]
            for name, predict in variants.items()
        }
        rounds: dict[str, list[Cost]] = {name: [] for name in variants}
        for round_number in range(args.rounds):
            console.print(f"timing round {round_number + 1}/{args.rounds} ...")
            for name, predict in variants.items():
                rounds[name].append(
                    measure_cost(predict, test_numeric, test_categorical, args.seconds)
                )

    cost = {name: _median(costs) for name, costs in rounds.items()}
    table = Table(title="Inference optimisation (1 thread, Adult test set, median of rounds)")
    for column in ("variant", "accuracy", "AUC", "params", "MACs", "rows/s b256", "vs teacher",
                   "p50 µs b1", "p99 µs b1"):  # fmt: skip
        table.add_column(column, justify="left" if column == "variant" else "right")
    teacher_rate = cost["teacher fp32 (onnx)"].throughput_b256
    for name in variants:
        network = networks["teacher" if name.startswith("teacher") else "student"]
        table.add_row(
            name, f"{quality[name].accuracy:.4f}", f"{quality[name].auc:.4f}",
            f"{parameter_count(network):,}", f"{multiply_accumulates(network):,}",
            f"{cost[name].throughput_b256:,.0f}",
            f"{cost[name].throughput_b256 / teacher_rate:.1f}x",
            f"{cost[name].p50_us_b1:,.1f}", f"{cost[name].p99_us_b1:,.1f}",
        )  # fmt: skip
    console.print(table)

    teacher, student = quality["teacher fp32 (onnx)"], quality["student fp32 (onnx)"]
    int8 = quality["student int8 static (onnx)"]
    ratios = {
        RETAIN_ACC: student.accuracy / teacher.accuracy,
        RETAIN_AUC: student.auc / teacher.auc,
        COST_RATIO: cost["student int8 static (onnx)"].throughput_b256 / teacher_rate,
        "int8 static speed-up over fp32 student (b256)": cost[
            "student int8 static (onnx)"
        ].throughput_b256
        / cost["student fp32 (onnx)"].throughput_b256,
        "int8 dynamic speed-up over fp32 student (b256)": cost[
            "student int8 dynamic (onnx)"
        ].throughput_b256
        / cost["student fp32 (onnx)"].throughput_b256,
        "onnx speed-up over torch eager, teacher (b256)": teacher_rate
        / cost["teacher (torch eager)"].throughput_b256,
        "onnx speed-up over torch eager, student (b256)": cost[
            "student fp32 (onnx)"
        ].throughput_b256
        / cost["student (torch eager)"].throughput_b256,
        INT8_POINTS: 100 * (int8.accuracy - student.accuracy),
    }
    speedup = ratios["int8 static speed-up over fp32 student (b256)"]
    targets = [
        ("student keeps >= 95% of teacher accuracy", ratios[RETAIN_ACC] >= 0.95),
        ("student keeps >= 95% of teacher AUC", ratios[RETAIN_AUC] >= 0.95),
        ("inference cost >= 10x lower", ratios[COST_RATIO] >= 10),
        ("int8 within 1 point of fp32 accuracy", abs(ratios[INT8_POINTS]) <= 1),
        ("int8 >= 1.5x throughput at batch 256", speedup >= 1.5),
    ]  # fmt: skip
    for name, value in ratios.items():
        console.print(f"{name}: {value:.3f}")
    for name, met in targets:
        console.print(f"target {name}: {'[green]met[/]' if met else '[red]MISSED[/]'}")

    RESULTS.mkdir(exist_ok=True)
    record = {
        "quick": args.quick, "device": str(training_device()), "rounds": args.rounds,
        "quality": {k: v.model_dump() for k, v in quality.items()},
        "cost": {k: v.model_dump() for k, v in cost.items()},
        "ratios": ratios, "targets": dict(targets),
    }  # fmt: skip
    (RESULTS / "inference_optimisation.json").write_text(json.dumps(record, indent=2))
    return 0


def _median(costs: list[Cost]) -> Cost:
    middle = sorted(costs, key=lambda cost: cost.throughput_b256)[len(costs) // 2]
    return middle.model_copy(
        update={
            "p50_us_b1": statistics.median(c.p50_us_b1 for c in costs),
            "p99_us_b1": statistics.median(c.p99_us_b1 for c in costs),
        }
    )


if __name__ == "__main__":
    sys.exit(main())
