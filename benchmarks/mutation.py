"""Mutation testing of the scorer, as a table: the production microservice is assessed
with the scenarios that concern each production feature, then deployed again with that one
feature switched off and assessed the same way. For each feature: which dimensions dropped,
and whether any other moved (a scorer that discriminates moves only the dimension the
feature serves).

Run: `READINESS_HOME=... python benchmarks/mutation.py [--feature NAME ...]` in a home with
an approved champion (`readiness train`). About 35 minutes for every feature on 2 cores.
Each mutant is compared with a baseline that ran the same scenarios (one baseline per
distinct scenario set, shared by the features that have it): live evidence depends on the
traffic before it (the monitors' windows, the cache), so only like for like compares.
"""

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from assessment.engine import assess
from assessment.result import Assessment
from harness.deploy import MONITOR_CONFIG
from readiness.cli import app
from readiness.home import readiness_home
from reference.microservice.deployment import FEATURES, up
from reference.microservice.supervision import down
from reference.platform.deploy.profile import Profile

RESULTS = Path(__file__).parent / "results"
SCENARIOS: dict[str, tuple[str, ...]] = {
    "auth": ("security-probes",),
    "rate-limit": ("security-probes",),
    "validation": ("security-probes",),
    "cache": ("steady-state",),
    "batching": ("steady-state",),
    "metrics": ("steady-state",),
    "audit": (),
    "explain": (),
    "monitoring": ("steady-state", "covariate-drift", "data-quality", "bad-rollout"),
    "rollback": ("accelerator-failure", "bad-rollout"),
}
"""The scenarios that concern each feature (none: live collection shows it), all of those
that prove the level-5 probes of the dimension the feature serves, so that the baseline
can show level 5 and the mutant can fall from it."""


def run(folder: Path, scenarios: tuple[str, ...], *without: str) -> Path:
    home = readiness_home()
    descriptor = up(
        home,
        Profile.PRODUCTION,
        faults=True,
        monitor_config=MONITOR_CONFIG,
        without=frozenset(without),
    )
    try:
        chosen = [a for name in scenarios for a in ("-s", name)] or ["--no-scenarios"]
        result = CliRunner().invoke(app, ["run", str(descriptor), *chosen, "--out", str(folder)])
        if result.exit_code != 0:
            raise SystemExit(f"run without {without} failed:\n{result.output[-3000:]}")
    finally:
        down(home)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feature", action="append", choices=FEATURES)
    features = parser.parse_args().feature or list(FEATURES)
    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="mutation-"))
    started = time.perf_counter()
    baselines: dict[tuple[str, ...], Assessment] = {}
    rows = []
    for feature in features:
        chosen = SCENARIOS[feature]
        if chosen not in baselines:
            console.rule(f"baseline: production with {', '.join(chosen) or 'no scenario'}")
            baselines[chosen] = assess(run(work / f"baseline-{len(baselines)}", chosen))
        before = baselines[chosen]
        console.rule(f"without {feature}")
        mutant = assess(run(work / feature, chosen, feature))
        moved = {
            d.id: (before.dimension(d.id).score, d.score)
            for d in mutant.dimensions
            if d.score != before.dimension(d.id).score
        }
        rows.append(
            {
                "feature": feature,
                "scenarios": list(chosen),
                "baseline_total": before.total,
                "mutant_total": mutant.total,
                "dropped": {d: m for d, m in moved.items() if m[1] < m[0]},
                "rose": {d: m for d, m in moved.items() if m[1] > m[0]},
            }
        )
    table = Table(title="feature switched off -> dimensions that dropped")
    for column in ("feature", "scenarios", "dropped (before -> after)", "others moved", "total"):
        table.add_column(column)
    for row in rows:
        fell = ", ".join(f"{d} {b}->{a}" for d, (b, a) in row["dropped"].items()) or "none"
        risen = ", ".join(f"{d} {b}->{a}" for d, (b, a) in row["rose"].items()) or "none"
        table.add_row(
            row["feature"],
            ", ".join(row["scenarios"]) or "(live only)",
            fell,
            risen,
            f"{row['baseline_total']} -> {row['mutant_total']}",
        )
    Console().print(table)
    discriminating = sum(1 for r in rows if r["dropped"] and not r["rose"])
    print(
        f"features whose removal dropped a dimension and raised none: {discriminating} of "
        f"{len(rows)} ({discriminating / max(len(rows), 1):.0%}); "
        f"{time.perf_counter() - started:.0f} s"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "mutation.json").write_text(json.dumps(rows, indent=1))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
