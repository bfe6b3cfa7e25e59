"""Latency of local SHAP attributions, one row at a time, as a real-time route computes them.

Run: `python benchmarks/explain_latency.py [MODEL.onnx] [--rows N] [--background B]
[--permutations P] [--sweep]`. Without a model path it takes the newest
`student_int8.onnx` under READINESS_HOME's models folder (`readiness train --quick` makes
one); it trains nothing. Test-set rows are explained one per call after a warm-up, and the
per-row p50/p99 latency and the largest local-accuracy error |base + sum - output| are
printed and checked against the targets. `--sweep` also times the alternatives the settings
in `reference/platform/explain/attributions.py` were chosen from (background size, permutations,
and shap's Exact explainer), with their distance from exact Shapley values.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shap
from rich.console import Console
from rich.table import Table

from readiness.home import readiness_home
from reference.platform.explain.attributions import (
    BACKGROUND_ROWS,
    PERMUTATIONS,
    LocalExplainer,
    background_sample,
    matrix_model,
)
from reference.platform.model.dataset import AdultDataset, load_adult
from reference.platform.model.evaluation import measure_cost
from reference.platform.model.runtime import OnnxModel

RESULTS = Path(__file__).parent / "results"
TARGET_P99_MS = 10.0
TARGET_LOCAL_ACCURACY = 1e-4
SWEEP_BACKGROUNDS = (20, 50, 100)
SWEEP_PERMUTATIONS = (1, 3, 5)
SWEEP_ROWS = 50
EXACT_ROWS = 10

Rows = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


def newest_model() -> Path | None:
    found = readiness_home().models.glob("train-*/student_int8.onnx")
    return max(found, key=lambda path: path.stat().st_mtime, default=None)


def per_row_ms(explain: Callable[[Rows], object], rows: Rows) -> tuple[float, float]:
    """p50 and p99 milliseconds of `explain` on each row of `rows` alone, after a warm-up."""
    count = len(rows[0])
    for i in range(min(count, 10)):
        explain(_row(rows, i))
    timings = []
    for i in range(count):
        row = _row(rows, i)
        tick = time.perf_counter_ns()
        explain(row)
        timings.append((time.perf_counter_ns() - tick) / 1e6)
    p50, p99 = np.percentile(timings, [50, 99])
    return float(p50), float(p99)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("model", nargs="?", type=Path, help="ONNX model (default: newest)")
    parser.add_argument("--rows", type=int, default=200, help="rows explained one at a time")
    parser.add_argument("--background", type=int, default=BACKGROUND_ROWS)
    parser.add_argument("--permutations", type=int, default=PERMUTATIONS)
    parser.add_argument("--sweep", action="store_true", help="also time the alternatives")
    args = parser.parse_args()
    console = Console(width=130)
    path = args.model or newest_model()
    if path is None or not path.is_file():
        console.print(
            f"no model: pass a path, or run `readiness train --quick` so that "
            f"{readiness_home().models}/train-*/student_int8.onnx exists"
        )
        return 2

    model = OnnxModel(path, threads=1)
    data = load_adult()
    test_numeric, test_categorical = data.schema.encode(data.test)
    chosen = np.random.default_rng(0).choice(len(test_numeric), size=args.rows, replace=False)
    rows: Rows = (test_numeric[chosen], test_categorical[chosen])
    console.print(f"model {path}, ONNX Runtime CPU, 1 thread, shap {shap.__version__}")

    started = time.perf_counter()
    background = background_sample(data.schema, args.background)
    explainer = LocalExplainer(
        model.predict, data.schema, *background, permutations=args.permutations
    )
    startup_ms = (time.perf_counter() - started) * 1e3
    model_b1 = measure_cost(model.predict, test_numeric, test_categorical, seconds=0.5)

    p50, p99 = per_row_ms(_explain_rows(explainer), rows)
    explained = explainer.explain(*rows)
    max_error = max(abs(a.base_value + sum(a.attributions.values()) - a.output) for a in explained)
    console.print(
        f"{args.rows} rows one at a time, background {args.background}, "
        f"{args.permutations} permutation(s): p50 {p50:.2f} ms, p99 {p99:.2f} ms per row; "
        f"local accuracy max error {max_error:.1e}; base value {explained[0].base_value:.4f}"
    )
    console.print(
        f"model alone, batch 1: p50 {model_b1.p50_us_b1:.1f} µs; "
        f"background sample + explainer built in {startup_ms:.0f} ms (includes loading Adult)"
    )
    targets = [
        (f"p99 under {TARGET_P99_MS:g} ms per row", p99 < TARGET_P99_MS),
        (f"local accuracy within {TARGET_LOCAL_ACCURACY:g}", max_error <= TARGET_LOCAL_ACCURACY),
    ]
    for name, met in targets:
        console.print(f"target {name}: {'[green]met[/]' if met else '[red]MISSED[/]'}")

    record: dict[str, object] = {
        "model": str(path), "shap": shap.__version__, "rows": args.rows,
        "background": args.background, "permutations": args.permutations,
        "p50_ms": p50, "p99_ms": p99, "max_local_accuracy_error": max_error,
        "model_p50_us_b1": model_b1.p50_us_b1, "startup_ms": startup_ms,
        "targets": dict(targets),
    }  # fmt: skip
    if args.sweep:
        record["sweep"] = sweep(console, model, data, rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "explain_latency.json").write_text(json.dumps(record, indent=2))
    return 0 if all(met for _, met in targets) else 1


def sweep(
    console: Console, model: OnnxModel, data: AdultDataset, rows: Rows
) -> list[dict[str, object]]:
    """Time Exact and every (background, permutations) pair; compare with Exact's values."""
    schema = data.schema
    timed, compared = _row(rows, slice(0, SWEEP_ROWS)), _row(rows, slice(0, EXACT_ROWS))
    table = Table(title="Alternatives (1 thread; error: |phi - Exact phi| on the same background)")
    for column in ("explainer", "background", "p50 ms", "p99 ms", "mean |error|", "max |error|"):
        table.add_column(column, justify="left" if column == "explainer" else "right")
    results: list[dict[str, object]] = []
    for size in SWEEP_BACKGROUNDS:
        background = background_sample(schema, size, data=data)
        masker = shap.maskers.Independent(np.hstack(background).astype(np.float64), size)
        exact = shap.explainers.Exact(
            matrix_model(model.predict, len(schema.numeric_inputs)), masker
        )

        def exact_values(some: Rows, exact: Any = exact) -> npt.NDArray[np.float64]:
            matrix = np.hstack(some).astype(np.float64)
            return np.asarray(exact(matrix, silent=True).values, dtype=np.float64)

        reference = exact_values(compared)
        p50, p99 = per_row_ms(exact_values, compared)
        results.append({"explainer": "exact", "background": size, "p50_ms": p50, "p99_ms": p99})
        table.add_row("shap Exact (2^M coalitions)", str(size), f"{p50:.2f}", f"{p99:.2f}", "", "")
        for permutations in SWEEP_PERMUTATIONS:
            explainer = LocalExplainer(
                model.predict, schema, *background, permutations=permutations
            )
            p50, p99 = per_row_ms(_explain_rows(explainer), timed)
            values = [list(a.attributions.values()) for a in explainer.explain(*compared)]
            error = np.abs(np.array(values) - reference)
            table.add_row(
                f"Permutation, {permutations} antithetic", str(size), f"{p50:.2f}",
                f"{p99:.2f}", f"{error.mean():.4f}", f"{error.max():.4f}",
            )  # fmt: skip
            results.append(
                {
                    "explainer": f"permutation-{permutations}", "background": size,
                    "p50_ms": p50, "p99_ms": p99,
                    "mean_abs_error_vs_exact": float(error.mean()),
                    "max_abs_error_vs_exact": float(error.max()),
                }
            )  # fmt: skip
    console.print(table)
    return results


def _explain_rows(explainer: LocalExplainer) -> Callable[[Rows], object]:
    return lambda rows: explainer.explain(*rows)


def _row(rows: Rows, index: int | slice) -> Rows:
    if isinstance(index, int):
        index = slice(index, index + 1)
    return rows[0][index], rows[1][index]


if __name__ == "__main__":
    sys.exit(main())
