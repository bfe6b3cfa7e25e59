"""Training on every device present, side by side: CPU, and CUDA where a GPU is present.

Run: `python benchmarks/training_devices.py [--members N] [--epochs N]`. For each device it
trains the teacher ensemble and distils the student with the same seeds and sizes, times
both, exports both to ONNX (which checks ONNX Runtime against torch) and measures test
accuracy, then prints the table and the CUDA/CPU speed-up. On a machine without a GPU it
measures the CPU alone and says so.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from reference.platform.model.architectures import InputSpec
from reference.platform.model.dataset import load_adult
from reference.platform.model.evaluation import measure_quality
from reference.platform.model.export import export_onnx
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.training import (
    TrainingConfig,
    distil_student,
    train_teacher,
    training_data,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=2, help="teacher ensemble members")
    parser.add_argument("--epochs", type=int, default=2, help="teacher epochs (student: 3x)")
    args = parser.parse_args()
    console = Console(width=150)
    data = load_adult()
    test_numeric, test_categorical = data.schema.encode(data.test)
    labels = data.test["label"].to_numpy()
    training = training_data(data.schema, data.train)
    spec = InputSpec.fit(data.schema, training.numeric)
    quick = TrainingConfig.quick()
    config = quick.model_copy(
        update={
            "teacher_members": args.members,
            "teacher": quick.teacher.model_copy(update={"epochs": args.epochs}),
            "student": quick.student.model_copy(update={"epochs": 3 * args.epochs}),
        }
    )
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    else:
        console.print("no CUDA device: measuring the CPU alone")

    table = Table(title=f"Training on each device ({len(data.train):,} rows)")
    for column in ("device", "teacher s", "teacher rows/s", "student s", "student rows/s",
                   "teacher acc", "student acc", "onnx parity"):  # fmt: skip
        table.add_column(column, justify="left" if column == "device" else "right")
    seconds: dict[str, float] = {}
    rows = len(training.labels)
    for device in devices:
        name = (
            torch.cuda.get_device_name(0)
            if device.type == "cuda"
            else f"cpu x{torch.get_num_threads()}"
        )
        started = time.perf_counter()
        teacher = train_teacher(spec, training, config, device=device)
        teacher_seconds = time.perf_counter() - started
        started = time.perf_counter()
        student = distil_student(spec, training, teacher, config, device=device)
        student_seconds = time.perf_counter() - started
        seconds[device.type] = teacher_seconds + student_seconds
        with tempfile.TemporaryDirectory() as scratch:
            files = [
                export_onnx(
                    network, Path(scratch) / f"{label}.onnx", test_numeric, test_categorical
                )
                for label, network in (("teacher", teacher), ("student", student))
            ]
            accuracy = [
                measure_quality(OnnxModel(f).predict, test_numeric, test_categorical, labels)[
                    0
                ].accuracy
                for f in files
            ]
        table.add_row(
            name, f"{teacher_seconds:.1f}",
            f"{rows * config.teacher.epochs * config.teacher_members / teacher_seconds:,.0f}",
            f"{student_seconds:.1f}", f"{rows * config.student.epochs / student_seconds:,.0f}",
            f"{accuracy[0]:.4f}", f"{accuracy[1]:.4f}", "within 1e-4",
        )  # fmt: skip
    console.print(table)
    if "cuda" in seconds:
        console.print(f"CUDA over CPU, whole training: {seconds['cpu'] / seconds['cuda']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
