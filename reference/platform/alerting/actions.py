"""What an alert does: roll back, page, pause batch predictions, open a ticket, add to the
review digest, start a retraining.

The model-facing actions go through the deployment's own admin API (`ModelAdmin`), the way
an operator would, so the monitor needs no access to the service's internals and the
control plane's rules (approval, integrity) and deployment log apply to them as to anyone.
Pages and tickets go to a webhook when one is configured, else to a JSON-lines file; the
digest is always a file. A retraining is started by the `Retrainer` the monitor was given
(`retraining.launcher.SubprocessRetrainer` runs `readiness retrain --trigger performance`
as a process of its own), which returns at once. An action that fails is recorded on the
alert with its reason and never stops the monitor.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict

from reference.platform.alerting.engine import ActionOutcome, Alert
from reference.platform.alerting.rules import Action

Retrainer = Callable[[Alert], str]
"""Starts a retraining for an alert without waiting for it; says what it started."""


class ModelAdmin(Protocol):
    def withdraw(self, model: str, version: str, reason: str) -> str:
        """Stop `version` answering clients: roll back if it is the champion, drop it if it
        is the canary, nothing if it no longer answers."""
        ...

    def pause_batch(self, model: str, paused: bool, reason: str) -> str: ...


class HttpModelAdmin:
    """A deployment's admin routes (the microservice gateway's, or any with the same API)."""

    def __init__(self, base_url: str, api_key: str, timeout_s: float = 30.0) -> None:
        self.client = httpx.Client(
            base_url=base_url, headers={"x-api-key": api_key}, timeout=timeout_s
        )

    def withdraw(self, model: str, version: str, reason: str) -> str:
        table = self.client.get(f"/v1/admin/models/{model}/routing")
        table.raise_for_status()
        routes = table.json()
        if routes.get("champion") == version:
            answer = self.client.post(f"/v1/admin/models/{model}/rollback", json={"reason": reason})
            answer.raise_for_status()
            return f"rolled back from version {version} to {answer.json().get('to_version')}"
        if routes.get("challenger") == version:
            answer = self.client.put(f"/v1/admin/models/{model}/routing", json={})
            answer.raise_for_status()
            return f"canary version {version} withdrawn; the champion answers all traffic"
        return f"version {version} no longer answers clients; nothing to withdraw"

    def pause_batch(self, model: str, paused: bool, reason: str) -> str:
        answer = self.client.put(
            f"/v1/admin/models/{model}/batch", json={"paused": paused, "reason": reason}
        )
        answer.raise_for_status()
        return "batch predictions paused" if paused else "batch predictions resumed"


class Sinks(BaseModel):
    """Where pages, tickets and the digest go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: Path
    page_webhook: str | None = None
    ticket_webhook: str | None = None


class AlertActions:
    def __init__(
        self,
        sinks: Sinks,
        admin: ModelAdmin | None,
        retrainer: Retrainer | None = None,
        disabled: frozenset[Action] = frozenset(),
    ) -> None:
        self.sinks, self.admin, self.retrainer = sinks, admin, retrainer
        self.disabled = disabled
        sinks.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, action: Action, alert: Alert, undo: bool) -> ActionOutcome:
        try:
            detail = self._run(action, alert, undo)
            ok = True
        except (httpx.HTTPError, OSError, RuntimeError, ValueError) as error:
            detail, ok = f"{type(error).__name__}: {error}", False
        return ActionOutcome(action=action, ok=ok, detail=detail, at=datetime.now(UTC))

    def _run(self, action: Action, alert: Alert, undo: bool) -> str:
        reason = (
            f"alert {alert.rule} ({alert.severity}): {alert.condition}, value {alert.value:.4g}"
        )
        if action in self.disabled:
            raise RuntimeError(f"the {action} action is switched off in this deployment")
        if action in (Action.ROLLBACK, Action.PAUSE_BATCH) and self.admin is None:
            raise RuntimeError("this deployment gave the monitor no admin API")
        if action is Action.ROLLBACK:
            assert self.admin is not None
            return self.admin.withdraw(alert.model, alert.version, reason)
        if action is Action.PAUSE_BATCH:
            assert self.admin is not None
            return self.admin.pause_batch(alert.model, not undo, reason)
        if action is Action.RETRAIN:
            if self.retrainer is None:
                raise RuntimeError("this monitor was given no retrainer")
            return "nothing to undo" if undo else self.retrainer(alert)
        if action is Action.PAGE:
            return self._deliver(self.sinks.page_webhook, "pages.jsonl", alert)
        if action is Action.TICKET:
            return self._deliver(self.sinks.ticket_webhook, "tickets.jsonl", alert)
        return self._deliver(None, "digest.jsonl", alert)

    def _deliver(self, webhook: str | None, file_name: str, alert: Alert) -> str:
        document = alert.model_dump(mode="json", exclude={"actions"})
        if webhook:
            httpx.post(webhook, json=document, timeout=10).raise_for_status()
            return f"posted to {webhook}"
        path = self.sinks.folder / file_name
        with path.open("a") as sink:
            sink.write(json.dumps(document) + "\n")
        return f"written to {path}"
