"""Fault hooks for the harness: what a replica should pretend is broken, or which bad
version the control plane should roll out.

The state lives in a small JSON file that every replica of a deployment reads (its mtime is
checked once per batch), so one admin call reaches all replicas, including those Serve
starts later. The rollout faults (`ROLLOUT_FAULTS`) act on the registry and the router
instead, through the control plane (`reference.microservice.degraded`). Hooks exist only
when the deployment enables them; a production system without `faults_enabled` has no way
to be broken on purpose.
"""

import json
import os
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Fault(StrEnum):
    NONE = "none"
    DEVICE_ERROR = "device_error"
    SLOW = "slow"
    KILL_REPLICA = "kill_replica"
    BAD_ROLLOUT = "bad_rollout"
    """Promote a degraded copy of the champion, as a bad release would be."""
    RESTORE = "restore"
    """Roll back a champion that `bad_rollout` promoted; nothing when there is none."""


ROLLOUT_FAULTS = frozenset({Fault.BAD_ROLLOUT, Fault.RESTORE})
"""Faults of the control plane (registry, router), not of the replicas."""


class FaultRequest(BaseModel):
    """The body of `POST /v1/admin/models/{model}/faults`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fault: Fault
    delay_ms: float = Field(default=0.0, ge=0.0, le=10_000.0)


class FaultState(BaseModel):
    """What the replicas act on; `kill_replica` and the rollout faults are actions, never
    a state."""

    fault: Fault = Fault.NONE
    delay_ms: float = 0.0


class FaultFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: int | None = None
        self._state = FaultState()

    def write(self, state: FaultState) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state.model_dump(mode="json")))
        os.replace(temporary, self.path)

    def read(self) -> FaultState:
        """The current state, re-read only when the file changed."""
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._seen, self._state = None, FaultState()
            return self._state
        if stamp != self._seen:
            try:
                self._state = FaultState.model_validate_json(self.path.read_text())
            except (OSError, ValueError):
                return self._state
            self._seen = stamp
        return self._state
