"""Where a result came from: the code version and file digests recorded with it."""

import hashlib
import subprocess
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _git(*arguments: str) -> str:
    finished = subprocess.run(
        ["git", *arguments], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
        timeout=10,
    )  # fmt: skip
    return finished.stdout.strip()


def code_version() -> str:
    """The git sha of this checkout, with `-dirty` when it has uncommitted changes; for an
    installed package (no checkout of its own: the folder above the packages may belong to
    a user's repository, whose sha would be a false answer) the package's version."""
    if not (PROJECT_ROOT / ".git").exists():
        from readiness import __version__

        return f"readiness {__version__}"
    try:
        sha = _git("rev-parse", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
