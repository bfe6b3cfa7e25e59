"""The edge benchmark: what each model variant costs on a device with one core to give it.

Run: `python -m benchmarks.edge [--quick] [--rounds N] [--seconds S] [--json PATH]
[--sync [--promotions N] [--home HOME]]`.

Teacher FP32, student FP32 and student INT8 (static, the variant the platform serves) are
trained and exported as the platform builds them, then each runs as an ONNX Runtime session
on one thread (intra-op 1, inter-op 1), as it would on an edge device.

Latency is of single-row predictions over the real Adult test rows. The variants take turns
in rounds, their order rotated each round, so a burst of noise on the machine does not
favour whichever ran then; p50 and p99 are percentiles of every prediction of every round
pooled (not a median of rounds), because a p99 needs the many samples and the turns already
share the noise out. The cost target is on compute (rows a second at batch 256 on the one
thread, the lifecycle's cost measure); the mean latency at batch 1 is printed beside it,
where a fixed per-call cost of ONNX Runtime and Python (tens of microseconds) dominates.

The sync section (`--sync`) deploys the production fleet (`readiness up edge`: three
devices, the releaser, the release channel) on a home with two approved versions, then
promotes them in turn in the registry and times, from the promotion, until every device
serves the promoted version (its release signed, fetched, verified and smoke-tested), read
from the fleet's status every 50 ms.

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

import httpx
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from benchmarks.common import Check, TestRows, bench_home, build_variants, print_checks, train
from readiness.descriptor import load_descriptor
from readiness.home import Home
from reference.edge import deployment as edge
from reference.edge import faults as edge_faults
from reference.edge import supervision
from reference.platform.deploy.deployment_keys import API_KEY_ENV
from reference.platform.deploy.request_rows import client_rows
from reference.platform.model.evaluation import Predict, Quality, measure_cost, measure_quality
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.served import SERVED_MODEL

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
    throughput_b256: float
    """Rows a second at batch 256 on the one thread: the compute a prediction costs, without
    the fixed cost of a call that dominates at batch 1."""
    memory: Memory | None
    memory_error: str | None = None


class Ratios(BaseModel):
    """A variant against the reference: latency, size and memory as reference/variant (above 1,
    the variant is lighter), quality as variant/reference (the share it retains)."""

    p99_ratio: float
    cost_ratio: float
    """Mean latency at batch 1, reference/variant (per-call overhead included)."""
    compute_ratio: float
    """Throughput at batch 256, variant/reference: how many times cheaper the compute is."""
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
    compute = {name: measure_cost(model.predict, rows.numeric, rows.categorical, seconds)
               .throughput_b256 for name, model in models.items()}  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        rows_file = Path(scratch) / "rows.npz"
        np.savez(rows_file, numeric=rows.numeric, categorical=rows.categorical)
        memory = {name: _memory(path, rows_file) for name, path in files.items()}
    figures = {
        name: _figures(path, quality[name], timings[name], compute[name], *memory[name])
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
        (f"student INT8 at least {CHEAPER_AT_LEAST:.0f}x cheaper than the teacher (compute: "
         "rows a second at batch 256 on the one thread)",
         versus["compute_ratio"] >= CHEAPER_AT_LEAST),
        (f"student INT8 keeps >= {ACCURACY_KEPT:.0%} of the teacher's accuracy",
         versus["accuracy_retention"] >= ACCURACY_KEPT),
    ]  # fmt: skip
    print_checks(console, checks, results)
    return results


SYNC_LIMIT_S = 5.0


def sync_section(console: Console, args: argparse.Namespace) -> dict[str, Any]:
    """Seconds from a promotion until all three devices serve it, over several promotions."""
    with tempfile.TemporaryDirectory() as scratch:
        home = bench_home(console, args.home, Path(scratch))
        registry = ModelRegistry(home.mlflow_tracking_uri)
        if args.home is None:
            console.print("training a second quick model to promote in turn ...")
            train(home)
        versions = _approved(registry)
        if len(versions) < 2:
            raise SystemExit("--home needs two approved versions of the model to promote")
        console.print("starting the edge fleet (three devices) ...")
        edge.up(home, "production")
        try:
            seconds = [_time_promotion(home, registry, versions[i % 2])
                       for i in range(args.promotions)]  # fmt: skip
            console.print(f"store and forward: {args.outage} answers on a device cut off ...")
            drained = _time_drain(home, args.outage)
        finally:
            supervision.down(home)
    found = [s for s in seconds if s is not None]
    results: dict[str, Any] = {"devices": len(edge.DEVICES), "promotions": len(seconds),
                               "seconds": seconds,
                               "p50_s": float(np.median(found)) if found else None,
                               "max_s": max(found) if found else None,
                               "store_and_forward": drained}  # fmt: skip
    console.print(f"sync to {len(edge.DEVICES)} devices after promotion: "
                  + ", ".join("never" if s is None else f"{s:.2f} s" for s in seconds))  # fmt: skip
    checks: list[Check] = [(f"every promotion served by all {len(edge.DEVICES)} devices in under "
                            f"{SYNC_LIMIT_S:.0f} s", len(found) == len(seconds)
                            and max(found) < SYNC_LIMIT_S)]  # fmt: skip
    console.print(f"store and forward: {drained['answered']} answered offline, all in the cloud "
                  f"{drained['drain_s']:.2f} s after the link returned "
                  f"({drained['records_per_s']:,.0f} records/s), "
                  f"{drained['missing']} missing, {drained['duplicated']} duplicated")  # fmt: skip
    checks.append(("every answer given offline reached the cloud once",
                   drained["missing"] == 0 and drained["duplicated"] == 0))  # fmt: skip
    print_checks(console, checks, results)
    return results


def _time_drain(home: Home, answers: int) -> dict[str, Any]:
    """Answers given by a device cut off, then the seconds from restoring its link until the
    cloud holds every one (its outbox drained through the forwarder)."""
    place = supervision.folder(home)
    descriptor = load_descriptor(place / "target.yaml")
    base = descriptor.endpoints.health.removesuffix("/healthz")
    keys = dict(line.split("=", 1) for line in (place / "credentials.env").read_text().splitlines())
    headers = {"x-api-key": keys[API_KEY_ENV], "x-device": "edge-1"}
    rows = [instance for instance, _ in client_rows()[:answers]]
    edge_faults.cut_link(place, "edge-1")
    ids = []
    with httpx.Client(headers=headers, timeout=30) as client:
        for row in rows:
            answer = client.post(f"{base}/v1/models/{SERVED_MODEL}/predict",
                                 json={"instances": [row]})  # fmt: skip
            ids.append(answer.json()["request_id"])
    edge_faults.restore_link(place, "edge-1")
    started = time.perf_counter()
    counts: dict[str, int] = {}
    while time.perf_counter() - started < 120:
        counts = {}
        for chunk in range(0, len(ids), 1000):
            found = httpx.post(f"{base}/v1/results", json={"request_ids": ids[chunk:chunk + 1000]},
                               headers=headers, timeout=30).json()["results"]  # fmt: skip
            counts.update({r["request_id"]: r["predictions"] for r in found})
        if all(count >= 1 for count in counts.values()):
            break
        time.sleep(0.1)
    drain_s = time.perf_counter() - started
    return {"answered": len(ids), "drain_s": drain_s, "records_per_s": len(ids) / drain_s,
            "missing": sum(1 for c in counts.values() if c < 1),
            "duplicated": sum(c - 1 for c in counts.values() if c > 1)}  # fmt: skip


def _approved(registry: ModelRegistry) -> list[str]:
    """Approved versions of the served model, newest last; the champion is one of them."""
    found = registry.client.search_model_versions(f"name='{SERVED_MODEL}'")
    approved = [v for v in found if registry.describe(SERVED_MODEL, str(v.version)).approval]
    return [str(v.version) for v in sorted(approved, key=lambda v: int(v.version))][-2:]


def _time_promotion(home: Home, registry: ModelRegistry, version: str) -> float | None:
    champion = registry.champion(SERVED_MODEL)
    if champion is not None and champion.version == version:
        return None
    fleet_url = load_descriptor(
        supervision.folder(home) / "target.yaml"
    ).endpoints.health.removesuffix("/healthz")
    started = time.perf_counter()
    registry.promote(SERVED_MODEL, version)
    deadline = started + 60
    while time.perf_counter() < deadline:
        devices = httpx.get(f"{fleet_url}/v1/fleet", timeout=5).json()["devices"]
        if all(d.get("version") == version for d in devices.values()):
            return time.perf_counter() - started
        time.sleep(0.05)
    return None


SECTIONS: dict[str, Section] = {"variants": variants_section, "sync": sync_section}
"""Run in this order; each one's results go into the JSON under its name."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="quick training sizes")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per round")
    parser.add_argument("--json", type=Path, default=RESULTS / "edge.json", help="results file")
    parser.add_argument("--sync", action="store_true", help="also time model sync to the fleet")
    parser.add_argument("--promotions", type=int, default=6, help="promotions timed (--sync)")
    parser.add_argument("--home", type=Path, help="a home with two approved versions (--sync)")
    parser.add_argument("--outage", type=int, default=2000,
                        help="answers given offline, then drained (--sync)")  # fmt: skip
    parser.add_argument("--skip-variants", action="store_true", help="only the sync section")
    args = parser.parse_args()
    console = Console(width=150)
    results: dict[str, Any] = {"quick": args.quick}
    for name, section in SECTIONS.items():
        if (name == "sync" and not args.sync) or (name == "variants" and args.skip_variants):
            continue
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
    throughput_b256: float,
    memory: Memory | None,
    memory_error: str | None,
) -> Figures:
    pooled = np.concatenate(rounds)
    p50, p99 = np.percentile(pooled, [50, 99])
    return Figures(
        file_bytes=path.stat().st_size, accuracy=quality.accuracy, auc=quality.auc,
        predictions=len(pooled), mean_us=float(pooled.mean()), p50_us=float(p50),
        p99_us=float(p99), p99_us_rounds=[float(np.percentile(r, 99)) for r in rounds],
        throughput_b256=throughput_b256,
        memory=memory, memory_error=memory_error,
    )  # fmt: skip


def _ratios(reference: Figures, variant: Figures) -> Ratios:
    memory_ratio = None  # unknown when either child failed, or measured nothing to divide by
    if reference.memory is not None and variant.memory is not None and variant.memory.peak_bytes:
        memory_ratio = reference.memory.peak_bytes / variant.memory.peak_bytes
    return Ratios(
        p99_ratio=reference.p99_us / variant.p99_us,
        cost_ratio=reference.mean_us / variant.mean_us,
        compute_ratio=variant.throughput_b256 / reference.throughput_b256,
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
