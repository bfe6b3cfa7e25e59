"""The edge benchmark: what each model variant costs on a device with one core to give it.

Run: `python -m benchmarks.edge [--quick] [--rounds N] [--seconds S] [--json PATH]`.

Teacher FP32, student FP32 and student INT8 (static, the variant the platform serves) are
trained and exported as the platform builds them, then each runs as an ONNX Runtime session
on one thread (intra-op 1, inter-op 1), as it would on an edge device.

Latency is of single-row predictions over the real Adult test rows. The variants take turns
in rounds, their order rotated each round, so a burst of noise on the machine does not
favour whichever ran then; p50 and p99 are percentiles of every prediction of every round
pooled (not a median of rounds), because a p99 needs the many samples and the turns already
share the noise out. Cost is the mean latency at batch 1.

Memory is measured in a fresh process per variant (`benchmarks.edge_memory`), so nothing
another variant or the training left behind counts: the peak resident memory after loading
the model and predicting, less the resident memory once numpy and ONNX Runtime are loaded,
which is what a device must have free beyond the runtime itself.

Each target is printed as met or MISSED; results go to `benchmarks/results/edge.json`.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from benchmarks.common import Check, TestRows, build_variants, print_checks
from reference.platform.evaluation import Predict, Quality, measure_quality
from reference.platform.models.runtime import OnnxModel

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parent.parent
VARIANTS = {
    "teacher": "teacher fp32",
    "student": "student fp32",
    "student_int8": "student int8 (static)",
}
"""The variants compared, by their name in `build_models`, with the label printed."""
REFERENCE = "teacher"
WARM_UP = 50
MIN_PREDICTIONS = 200
"""Per variant and round however short `--seconds` is, so that every round counts."""
CHILD_PREDICTIONS = 2000
"""Single-row predictions in the memory child: enough for the session's buffers to settle."""
P99_LIMIT_US = 50_000.0
CHEAPER_AT_LEAST = 10.0
ACCURACY_KEPT = 0.95

Section = Callable[[Console, argparse.Namespace], dict[str, Any]]
"""One part of the benchmark: it measures, prints its tables and checks, returns its results."""


class Memory(BaseModel):
    baseline_rss_bytes: int
    resident_bytes: int
    """Resident memory still held after the predictions, over the baseline."""
    peak_bytes: int
    """Peak resident memory while loading and predicting, over the baseline: the cost."""


class Figures(BaseModel):
    """One variant as an edge device sees it; `memory` is None when the child failed, and
    `memory_error` then says why, so an unmeasured figure never reads as zero."""

    file_bytes: int
    accuracy: float
    auc: float
    predictions: int
    mean_us: float
    p50_us: float
    p99_us: float
    p99_us_rounds: list[float]
    """The p99 of each round alone, to show how much the pooled figure could be trusted."""
    memory: Memory | None
    memory_error: str | None = None


class Ratios(BaseModel):
    """A variant against the reference: latency, size and memory as reference/variant (above 1,
    the variant is lighter), quality as variant/reference (the share it retains)."""

    p99_ratio: float
    cost_ratio: float
    size_ratio: float
    memory_ratio: float | None
    accuracy_retention: float
    auc_retention: float


def compare_variants(
    files: dict[str, Path],
    rows: TestRows,
    rounds: int = 5,
    seconds: float = 1.0,
    reference: str = REFERENCE,
    console: Console | None = None,
) -> dict[str, Any]:
    """Quality, batch-1 latency, memory and size of each model file, and each against
    `reference`. Every session is loaded and warmed before the first timed prediction, so that
    none pays for a cold start the others do not."""
    models = {name: OnnxModel(path, threads=1) for name, path in files.items()}
    quality = {
        name: measure_quality(model.predict, rows.numeric, rows.categorical, rows.labels)[0]
        for name, model in models.items()
    }
    predicts: dict[str, Predict] = {name: model.predict for name, model in models.items()}
    timings = _interleaved(predicts, rows, rounds, seconds, console)
    with tempfile.TemporaryDirectory() as scratch:
        rows_file = Path(scratch) / "rows.npz"
        np.savez(rows_file, numeric=rows.numeric, categorical=rows.categorical)
        memory = {name: _memory(path, rows_file) for name, path in files.items()}
    figures = {
        name: _figures(path, quality[name], timings[name], *memory[name])
        for name, path in files.items()
    }
    others = [name for name in figures if name != reference]
    ratios = {name: _ratios(figures[reference], figures[name]) for name in others}
    return {
        "runtime": f"onnxruntime {ort.__version__}, 1 thread, batch 1",
        "rounds": rounds,
        "seconds_per_round": seconds,
        "percentiles": "pooled over all rounds",
        "reference": reference,
        "variants": {name: f.model_dump() for name, f in figures.items()},
        "ratios": {name: r.model_dump() for name, r in ratios.items()},
    }


def variants_section(console: Console, args: argparse.Namespace) -> dict[str, Any]:
    """Teacher, student and INT8 student compared and checked against the edge targets."""
    with tempfile.TemporaryDirectory() as scratch:
        built, rows = build_variants(console, args.quick, Path(scratch))
        files = {name: built.files[name] for name in VARIANTS}
        results = compare_variants(files, rows, args.rounds, args.seconds, console=console)
    _print_variants(console, results)
    int8, versus = results["variants"]["student_int8"], results["ratios"]["student_int8"]
    checks: list[Check] = [
        (f"student INT8 p99 at batch 1 < {P99_LIMIT_US / 1000:.0f} ms",
         int8["p99_us"] < P99_LIMIT_US),
        (f"student INT8 at least {CHEAPER_AT_LEAST:.0f}x cheaper than the teacher "
         "(mean latency at batch 1)", versus["cost_ratio"] >= CHEAPER_AT_LEAST),
        (f"student INT8 keeps >= {ACCURACY_KEPT:.0%} of the teacher's accuracy",
         versus["accuracy_retention"] >= ACCURACY_KEPT),
    ]  # fmt: skip
    print_checks(console, checks, results)
    return results


SECTIONS: dict[str, Section] = {"variants": variants_section}
"""Run in this order; each one's results go into the JSON under its name."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="quick training sizes")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per round")
    parser.add_argument("--json", type=Path, default=RESULTS / "edge.json", help="results file")
    args = parser.parse_args()
    console = Console(width=150)
    results: dict[str, Any] = {"quick": args.quick}
    for name, section in SECTIONS.items():
        results[name] = section(console, args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    console.print(f"results written to {args.json}")
    return 0


def _interleaved(
    predicts: dict[str, Predict],
    rows: TestRows,
    rounds: int,
    seconds: float,
    console: Console | None,
) -> dict[str, list[list[float]]]:
    """Microseconds of each single-row prediction, by variant, then round."""
    singles = [
        (rows.numeric[i : i + 1], rows.categorical[i : i + 1]) for i in range(len(rows.labels))
    ]
    for predict in predicts.values():
        for single in singles[:WARM_UP]:
            predict(*single)
    names = list(predicts)
    timings: dict[str, list[list[float]]] = {name: [] for name in names}
    for number in range(rounds):
        if console is not None:
            console.print(f"timing round {number + 1}/{rounds} ...")
        turn = number % len(names)
        for name in names[turn:] + names[:turn]:
            timings[name].append(_time_singles(predicts[name], singles, seconds))
    return timings


def _time_singles(
    predict: Predict,
    singles: list[tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]],
    seconds: float,
) -> list[float]:
    timings: list[float] = []
    started = time.perf_counter()
    while len(timings) < MIN_PREDICTIONS or time.perf_counter() - started < seconds:
        numeric, categorical = singles[len(timings) % len(singles)]
        tick = time.perf_counter_ns()
        predict(numeric, categorical)
        timings.append((time.perf_counter_ns() - tick) / 1000)
    return timings


def _memory(model: Path, rows_file: Path) -> tuple[Memory | None, str | None]:
    command = [sys.executable, "-m", "benchmarks.edge_memory", str(model), str(rows_file),
               str(CHILD_PREDICTIONS)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        return None, lines[-1]
    return Memory.model_validate_json(done.stdout), None


def _figures(
    path: Path,
    quality: Quality,
    rounds: list[list[float]],
    memory: Memory | None,
    memory_error: str | None,
) -> Figures:
    pooled = np.concatenate(rounds)
    p50, p99 = np.percentile(pooled, [50, 99])
    return Figures(
        file_bytes=path.stat().st_size, accuracy=quality.accuracy, auc=quality.auc,
        predictions=len(pooled), mean_us=float(pooled.mean()), p50_us=float(p50),
        p99_us=float(p99), p99_us_rounds=[float(np.percentile(r, 99)) for r in rounds],
        memory=memory, memory_error=memory_error,
    )  # fmt: skip


def _ratios(reference: Figures, variant: Figures) -> Ratios:
    memory_ratio = None  # unknown when either child failed, or measured nothing to divide by
    if reference.memory is not None and variant.memory is not None and variant.memory.peak_bytes:
        memory_ratio = reference.memory.peak_bytes / variant.memory.peak_bytes
    return Ratios(
        p99_ratio=reference.p99_us / variant.p99_us,
        cost_ratio=reference.mean_us / variant.mean_us,
        size_ratio=reference.file_bytes / variant.file_bytes,
        memory_ratio=memory_ratio,
        accuracy_retention=variant.accuracy / reference.accuracy,
        auc_retention=variant.auc / reference.auc,
    )


def _print_variants(console: Console, results: dict[str, Any]) -> None:
    table = Table(title="Edge: one ONNX Runtime thread, batch 1, Adult test rows (pooled rounds)")
    for column in ("variant", "accuracy", "AUC", "p50 µs", "p99 µs", "mean µs", "file KiB",
                   "peak MiB", "kept MiB"):  # fmt: skip
        table.add_column(column, justify="left" if column == "variant" else "right")
    for name, figures in results["variants"].items():
        memory = figures["memory"]
        table.add_row(
            VARIANTS.get(name, name), f"{figures['accuracy']:.4f}", f"{figures['auc']:.4f}",
            f"{figures['p50_us']:,.1f}", f"{figures['p99_us']:,.1f}", f"{figures['mean_us']:,.1f}",
            f"{figures['file_bytes'] / 1024:,.1f}",
            f"{memory['peak_bytes'] / 2**20:,.1f}" if memory else "n/a",
            f"{memory['resident_bytes'] / 2**20:,.1f}" if memory else "n/a",
        )  # fmt: skip
    console.print(table)
    for name, figures in results["variants"].items():
        if figures["memory_error"]:
            console.print(f"[red]memory of {name} not measured[/red]: {figures['memory_error']}")
    reference = VARIANTS.get(results["reference"], results["reference"])
    ratios = Table(title=f"Against the {reference} (latency, size, memory: {reference}/variant)")
    ratios.add_column("ratio")
    for name in results["ratios"]:
        ratios.add_column(VARIANTS.get(name, name), justify="right")
    for ratio in Ratios.model_fields:
        values = [versus[ratio] for versus in results["ratios"].values()]
        ratios.add_row(ratio, *("n/a" if v is None else f"{v:,.3f}" for v in values))
    console.print(ratios)


if __name__ == "__main__":
    sys.exit(main())
