"""A stage that stops mid-batch on request, so a fault hook can kill it there for certain.

A kill that lands between batches proves nothing about exactly-once; the interesting
crash is the one after some outputs of a batch were published and before any input was
acked. With fault hooks enabled, a worker checks a request file once per batch; when it
names the worker's stage, the worker publishes the first half (rounded down) of the
batch's outputs, writes where it stopped (the held file, with its pid) and waits to be
killed. Without fault hooks there is no file to check and no way to hold.
"""

import os
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str


class Held(BaseModel):
    """Where a worker stopped: its pid, and the batch it holds unacknowledged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str
    pid: int
    batch: int = Field(ge=1)
    published: int = Field(ge=0)
    at: float


class HoldSwitch:
    def __init__(self, folder: Path) -> None:
        self.request_path = folder / "hold-request.json"
        self.held_path = folder / "held.json"

    def request(self, stage: str) -> None:
        self.held_path.unlink(missing_ok=True)
        _write(self.request_path, HoldRequest(stage=stage).model_dump_json())

    def clear(self) -> None:
        self.request_path.unlink(missing_ok=True)
        self.held_path.unlink(missing_ok=True)

    def requested(self, stage: str) -> bool:
        """Whether this stage should hold its next batch (one stat per batch otherwise)."""
        try:
            found = HoldRequest.model_validate_json(self.request_path.read_text())
        except (OSError, ValueError):
            return False
        return found.stage == stage

    def claim(self, stage: str, batch: int, published: int) -> bool:
        """Record this worker as the one holding; False when another worker claimed first
        (it goes on as if nothing was asked)."""
        held = Held(stage=stage, pid=os.getpid(), batch=batch, published=published,
                    at=time.time())  # fmt: skip
        try:
            descriptor = os.open(self.held_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "w") as handle:
            handle.write(held.model_dump_json())
        return True

    def held(self) -> Held | None:
        try:
            return Held.model_validate_json(self.held_path.read_text())
        except (OSError, ValueError):
            return None


def _write(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
