"""What the core install costs a CI job: its size and install time in a fresh venv, and how
fast `readiness --version` and `readiness gate` answer from it, beside the development
environment (`.venv`, every extra and the test tools) where one exists.

The wheel is built from this checkout and installed without extras, with the lock as
constraints, from the package registries (their local cache makes the time here a lower
bound of a cold runner's). Commands are timed 5 times each from a folder outside the
checkout: the median wall clock, and the CPU seconds of the process, which shared cores do
not inflate.

Targets: under 400 MB and 90 s to install; gate under 1 s; --version under 0.5 s.

Usage: python -m benchmarks.install
"""

import os
import resource
import statistics
import subprocess
import tempfile
import time
import venv
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.common import print_checks
from tests.reports.samples import PRODUCTION, SAMPLE_RUNS
from tests.wheel import build_wheel

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "ray", "feast", "shap", "streamlit", "evidently")
SIZE_TARGET_MB, INSTALL_TARGET_S, GATE_TARGET_S, VERSION_TARGET_S = 400, 90, 1.0, 0.5
REPEATS = 5


def folder_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return total / 1e6


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall s, CPU s of the child, exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, finished.returncode


def main() -> None:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        wheel = build_wheel(work)
        environment = work / "venv"
        venv.create(environment, with_pip=True)
        empty_mb = folder_mb(environment)
        python = environment / "bin" / "python"
        install_wall, install_cpu, code = timed(
            [str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "requirements.lock"),
             str(wheel)], work, clean,
        )  # fmt: skip
        assert code == 0, "the core install failed"
        size_mb = folder_mb(environment)
        listed = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True,
                                text=True, check=True, env=clean).stdout.lower()  # fmt: skip
        heavy = [name for name in HEAVY if f"\n{name}==" in f"\n{listed}"]
        job = work / "job"
        job.mkdir()
        readiness = str(environment / "bin" / "readiness")
        assessment = SAMPLE_RUNS / PRODUCTION / "assessment.json"
        commands = {
            "readiness --version": [readiness, "--version"],
            "readiness gate --policy whitepaper": [readiness, "gate", str(assessment),
                                                   "--policy", "whitepaper"],
        }  # fmt: skip
        timings = {}
        for name, command in commands.items():
            runs = [timed(command, job, clean) for _ in range(REPEATS)]
            timings[name] = (statistics.median(r[0] for r in runs),
                             statistics.median(r[1] for r in runs))  # fmt: skip
    development = ROOT / ".venv"
    table = Table(title="the core install (a fresh venv) beside the development environment")
    for column in ("measure", "core", "development (.venv)", "ratio"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    full_mb = folder_mb(development) if development.is_dir() else None
    full, ratio = ("-", "-") if full_mb is None else (f"{full_mb:.0f}", f"{full_mb / size_mb:.1f}x")
    table.add_row("installed size, MB", f"{size_mb:.0f}", full, ratio)
    table.add_row("of which the empty venv, MB", f"{empty_mb:.0f}", "", "")
    table.add_row("install wall s (CPU s)", f"{install_wall:.1f} ({install_cpu:.1f})", "", "")
    for name, (wall, cpu) in timings.items():
        table.add_row(f"{name}: median wall s (CPU s)", f"{wall:.2f} ({cpu:.2f})", "", "")
    console = Console()
    console.print(table)
    gate_s, version_s = timings["readiness gate --policy whitepaper"][0], timings[
        "readiness --version"][0]  # fmt: skip
    results: dict[str, object] = {"size_mb": size_mb, "install_s": install_wall,
                                  "gate_s": gate_s, "version_s": version_s}  # fmt: skip
    print_checks(console, [
        (f"core install under {SIZE_TARGET_MB} MB: {size_mb:.0f} MB", size_mb < SIZE_TARGET_MB),
        (f"core install under {INSTALL_TARGET_S} s: {install_wall:.1f} s",
         install_wall < INSTALL_TARGET_S),
        (f"no heavy library installed: {', '.join(heavy) or 'none'}", not heavy),
        (f"gate under {GATE_TARGET_S} s: {gate_s:.2f} s", gate_s < GATE_TARGET_S),
        (f"--version under {VERSION_TARGET_S} s: {version_s:.2f} s", version_s < VERSION_TARGET_S),
    ], results)  # fmt: skip


if __name__ == "__main__":
    main()
