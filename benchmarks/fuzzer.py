"""The fuzzer against three third-party servers of a credit model: what it finds, and what
generating costs.

Servers: `mlflow models serve`, MLServer (from .venv-mlserver) and a team's own FastAPI
service (tests/harness/system/third_party.py starts each on 127.0.0.1). For each, campaigns
of 200 requests at three seeds: server errors (5xx), transport errors (a crash or a hang),
invalid bodies answered 2xx, and the mutations that found any of them (the server's
defects). Generation alone is timed too, without sending: CPU milliseconds per case.

The figures of the hand-written generator this one replaced are in docs/harness.md, measured
with this script on the same servers: the new one must find at least as many defects.

Usage: python -m benchmarks.fuzzer [--servers mlflow,mlserver,fastapi] [--requests 200]
"""

import argparse
import json
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from harness.security import generate_fuzz_cases, run_fuzz_campaign, system_plan
from harness.system.loading import load_system
from harness.target import Target
from tests.harness.system.third_party import (
    SERVERS,
    fastapi_served,
    mlflow_descriptor,
    mlflow_served,
    mlserver_served,
)

SEEDS = (0, 1, 2)
RESULTS = Path(__file__).parent / "results"


@contextmanager
def served(name: str, folder: Path) -> Iterator[Path]:
    if name == "mlflow":
        with mlflow_served(folder) as (base, registered):
            yield mlflow_descriptor(base, registered, folder)
    elif name == "mlserver":
        with mlserver_served(folder) as descriptor:
            yield descriptor
    else:
        with fastapi_served(folder) as descriptor:
            yield descriptor


def measure(name: str, folder: Path, requests: int) -> dict[str, Any]:
    with served(name, folder) as descriptor:
        target = Target.from_file(descriptor)
        system = load_system(target)
        with httpx.Client(timeout=10.0) as client:
            plan = system_plan(system, client)
            started = time.process_time()
            generated = generate_fuzz_cases(plan, requests * len(SEEDS), seed=0)
            cpu_ms = 1000 * (time.process_time() - started) / len(generated)
            totals = {"server_errors": 0, "transport_errors": 0, "accepted_invalid": 0}
            defective: set[str] = set()
            for seed in SEEDS:
                campaign = run_fuzz_campaign(target, plan, requests, seed, client)
                totals["server_errors"] += campaign.server_errors
                totals["transport_errors"] += campaign.transport_errors
                totals["accepted_invalid"] += campaign.accepted_invalid
                examples = (campaign.server_error_examples + campaign.transport_error_examples
                            + campaign.accepted_invalid_examples)  # fmt: skip
                defective |= {e.mutation for e in examples}
                for mutation, statuses in campaign.by_mutation.items():
                    if any(s == 0 or s >= 500 for s in statuses):
                        defective.add(mutation)
    return {
        **totals,
        "defective_mutations": sorted(defective),
        "mutations": len({c.mutation for c in generated}),
        "generation_cpu_ms_per_case": round(cpu_ms, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--label", default="current")
    arguments = parser.parse_args()
    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as work:
        for name in arguments.servers.split(","):
            folder = Path(work) / name
            folder.mkdir()
            found[name] = measure(name, folder, arguments.requests)
    table = Table(title=f"fuzzer ({arguments.label}): {arguments.requests} requests x "
                        f"{len(SEEDS)} seeds per server")  # fmt: skip
    for column in ("server", "5xx", "transport", "accepted invalid", "defective mutations",
                   "generation ms CPU/case"):  # fmt: skip
        table.add_column(column)
    for name, row in found.items():
        table.add_row(name, str(row["server_errors"]), str(row["transport_errors"]),
                      str(row["accepted_invalid"]), ", ".join(row["defective_mutations"]),
                      str(row["generation_cpu_ms_per_case"]))  # fmt: skip
    Console().print(table)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"fuzzer-{arguments.label}.json").write_text(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
