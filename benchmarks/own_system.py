"""Scoring a system this project did not write: `readiness init` and `readiness run
--no-scenarios` against three third-party servers of a credit model, side by side.

Servers: `mlflow models serve` (MLflow protocol), MLServer (Open Inference V2, from
.venv-mlserver) and a team's own FastAPI service (a template protocol, a Bearer token).
Each command runs as a user runs it, in its own process; wall time and the CPU seconds of
that process and its children are reported (CPU time survives noisy shared cores). With
`--scenarios`, the default scenario set runs too and the dimension scores are printed: the
table in docs/own-system.md. Each server's security probes also run in-process with 200 fuzzed
requests; the mutations that drew a 5xx or were accepted though invalid are its defects.
Bundles are kept under benchmarks/results/own-system/SERVER/.

Targets: init under 10 s, run --no-scenarios under 30 s, on 2 cores.

Usage: python -m benchmarks.own_system [--scenarios] [--servers mlflow,mlserver,fastapi]
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from benchmarks.common import print_checks
from harness.security import run_security_probes
from harness.system.loading import load_system
from harness.target import Target
from readiness.home import HOME_VARIABLE
from tests.harness.system.credit import LABEL, MODEL_NAME
from tests.harness.system.third_party import (
    SERVERS,
    fastapi_served,
    mlflow_descriptor,
    mlflow_served,
    mlserver_served,
)

RESULTS = Path(__file__).parent / "results"
BUNDLES = RESULTS / "own-system"
FUZZ_REQUESTS = 200
INIT_TARGET_S, RUN_TARGET_S = 10.0, 30.0


@contextmanager
def served(name: str, folder: Path) -> Iterator[tuple[Path, list[str]]]:
    """(descriptor, `readiness init` arguments) of one running server."""
    if name == "mlflow":
        with mlflow_served(folder) as (base, registered):
            init = [f"{base}/invocations", "--data", str(registered.rows), "--label", LABEL,
                    "--group", "region", "--personal", "email", "--registry",
                    registered.tracking_uri, "--model", MODEL_NAME]  # fmt: skip
            yield mlflow_descriptor(base, registered, folder), init
    elif name == "mlserver":
        with mlserver_served(folder) as descriptor:
            predict = yaml.safe_load(descriptor.read_text())["endpoints"]["predict"]
            init = [predict.replace("{model}", "credit"), "--data", str(folder / "rows.csv"),
                    "--label", LABEL, "--group", "region", "--personal", "email"]  # fmt: skip
            yield descriptor, init
    else:
        with fastapi_served(folder) as descriptor:
            predict = yaml.safe_load(descriptor.read_text())["endpoints"]["predict"]
            init = [predict, "--data", str(folder / "rows.parquet"), "--label", LABEL,
                    "--group", "region", "--personal", "email", "--api-key-env", "CREDIT_TOKEN",
                    "--auth-header", "Authorization", "--auth-scheme", "Bearer"]  # fmt: skip
            yield descriptor, init


def timed(arguments: list[str], home: Path, extra: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `readiness ARGUMENTS` in its own process: exit code, wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-m", "readiness", *arguments], capture_output=True, text=True,
        env={**os.environ, HOME_VARIABLE: str(home), **(extra or {})}, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"exit": finished.returncode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "output": (finished.stdout + finished.stderr)[-2000:]}  # fmt: skip


def measure(name: str, work: Path, scenarios: bool) -> dict[str, Any]:
    folder, bundles = work / name, BUNDLES / name
    folder.mkdir(parents=True)
    shutil.rmtree(bundles, ignore_errors=True)  # the last run's bundles, replaced
    with served(name, folder) as (descriptor, init):
        token = {"CREDIT_TOKEN": "team-token-3141"}
        found = timed(["init", *init, "-o", str(folder / "init.yaml")], work / "home", token)
        run = timed(["run", str(descriptor), "--no-scenarios", "--out", str(bundles / "live")],
                    work / "home")  # fmt: skip
        result: dict[str, Any] = {"init": found, "run_no_scenarios": run,
                                  "scores_live": _scores(bundles / "live"),
                                  "defects": defects(descriptor)}  # fmt: skip
        if scenarios:
            full = timed(["run", str(descriptor), "--out", str(bundles / "full")], work / "home")
            result["run_default_set"] = full
            result["scores"] = _scores(bundles / "full")
            result["scenario_status"] = _statuses(bundles / "full")
    return result


def defects(descriptor: Path) -> dict[str, Any]:
    """The security probes' findings: statuses per mutation, and an example of each 5xx and
    each invalid body accepted."""
    report = run_security_probes(load_system(Target.from_file(descriptor)),
                                 fuzz_requests=FUZZ_REQUESTS, seed=11, burst_limit=16)  # fmt: skip
    fuzz = report.fuzz
    examples = {e.mutation: e for e in fuzz.server_error_examples + fuzz.accepted_invalid_examples}
    return {
        "checks": {c.name: c.outcome.value for c in report.checks},
        "by_mutation": fuzz.by_mutation,
        "server_errors": fuzz.server_errors,
        "accepted_invalid": fuzz.accepted_invalid,
        "examples": {
            m: {
                "status": e.status,
                "description": e.description,
                "body": e.body[:160],
                "answer": e.answer[:200],
            }
            for m, e in sorted(examples.items())
        },
    }


def _scores(bundle: Path) -> dict[str, Any]:
    try:
        assessment = json.loads((bundle / "assessment.json").read_text())
    except OSError:
        return {}
    return {"total": assessment["total"],
            **{d["id"]: d["score"] for d in assessment["dimensions"]}}  # fmt: skip


def _statuses(bundle: Path) -> dict[str, str]:
    manifest = json.loads((bundle / "manifest.json").read_text())
    return {entry["name"]: entry["status"] for entry in manifest["scenarios"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", action="store_true", help="run the default set too")
    parser.add_argument("--servers", default=",".join(SERVERS))
    options = parser.parse_args()
    console = Console()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in options.servers.split(","):
            console.print(f"{name} ...")
            results[name] = measure(name, Path(folder), options.scenarios)
    table = Table("server", "init wall s", "init CPU s", "run --no-scenarios wall s",
                  "CPU s", "exit codes", "live total")  # fmt: skip
    for name, found in results.items():
        init, run = found["init"], found["run_no_scenarios"]
        table.add_row(name, f"{init['wall_s']:.1f}", f"{init['cpu_s']:.1f}",
                      f"{run['wall_s']:.1f}", f"{run['cpu_s']:.1f}",
                      f"{init['exit']}, {run['exit']}",
                      str(found["scores_live"].get("total", "-")))  # fmt: skip
    console.print(table)
    found = Table("server", "mutation", "statuses", "example answer")
    for name, result in results.items():
        for mutation, example in result["defects"]["examples"].items():
            statuses = result["defects"]["by_mutation"].get(mutation, {})
            found.add_row(name, mutation, json.dumps(statuses), example["answer"][:80])
    console.print(found)
    if options.scenarios:
        dimensions = [k for k in next(iter(results.values()))["scores"] if k != "total"]
        scores = Table("server", *dimensions, "total")
        for name, found in results.items():
            scores.add_row(name, *(str(found["scores"].get(d, "-")) for d in dimensions),
                           str(found["scores"].get("total", "-")))  # fmt: skip
        console.print(scores)
    slowest_init = max(r["init"]["wall_s"] for r in results.values())
    slowest_run = max(r["run_no_scenarios"]["wall_s"] for r in results.values())
    print_checks(console, [
        (f"readiness init under {INIT_TARGET_S:g} s (slowest {slowest_init:.1f} s)",
         slowest_init < INIT_TARGET_S),
        (f"readiness run --no-scenarios under {RUN_TARGET_S:g} s (slowest {slowest_run:.1f} s)",
         slowest_run < RUN_TARGET_S),
    ], results)  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    name = "own_system-scenarios.json" if options.scenarios else "own_system.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
