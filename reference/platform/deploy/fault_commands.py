"""The command line every architecture's fault hooks share: `python -m
reference.<architecture>.faults FOLDER HOOK [ARGUMENT]` prints one JSON line of what it
did (the harness reads it as the hook's result) or exits 1 with the reason."""

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from readiness.errors import ReadinessError

RunHook = Callable[[Path, str, str | None], dict[str, Any]]


def hook_command(argv: list[str], run_hook: RunHook, usage: str) -> int:
    if len(argv) not in (3, 4):
        sys.stderr.write(usage)
        return 2
    try:
        done = run_hook(Path(argv[1]), argv[2], argv[3] if len(argv) == 4 else None)
    except (ReadinessError, ValueError, OSError) as problem:
        sys.stderr.write(f"{argv[2]}: {problem}\n")
        return 1
    sys.stdout.write(json.dumps(done) + "\n")
    return 0
