"""The wheel of this checkout, built from a copy of its source files (tracked, and untracked
ones git does not ignore), so that building leaves no `build/` folder in the checkout for
mypy, ruff or a later build to trip over."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build_wheel(folder: Path) -> Path:
    """Build the wheel into `folder` and return its path."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
        capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    source = folder / "source"
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(folder)],
        cwd=folder, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    (built,) = folder.glob("readiness-*.whl")
    return built
