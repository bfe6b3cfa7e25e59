"""A client of a deployed event-driven pipeline, as a user's would be: it sends real Adult
rows through the ingest (retrying with its idempotency key while the broker is away) and
counts what came out in the deployment's stores, row by row, so a duplicate would show."""

import time
import uuid

import httpx
from sqlalchemy import create_engine, func, select

from readiness.audit import tables
from readiness.descriptor import TargetDescriptor, load_descriptor
from readiness.home import Home
from reference.event_driven import supervision
from reference.event_driven.action import actions
from reference.platform.deploy.deployment_keys import API_KEY_ENV
from reference.platform.deploy.request_rows import client_rows

SETTLE_TIMEOUT_S = 120.0
RETRIES = 40


def descriptor_of(home: Home) -> TargetDescriptor:
    return load_descriptor(supervision.folder(home) / "target.yaml")


ROWS = [instance for instance, _ in client_rows()[:2000]]
"""Real Adult rows, as the harness sends them (the monitors watch this traffic too: rows
that all look alike would rightly raise the data-quality alert and pause batches)."""


def api_key(home: Home) -> str:
    return dict(line.split("=", 1) for line in (supervision.folder(home) / "credentials.env")
                .read_text().splitlines())[API_KEY_ENV]  # fmt: skip


def send(home: Home, requests: int, per_request: int = 10, pause_s: float = 0.0) -> set[str]:
    """Requests of `per_request` real rows, each retried with its idempotency key while the
    ingest answers 503 (the broker away), as a client should; the event ids accepted."""
    descriptor = descriptor_of(home)
    key = api_key(home) if (supervision.folder(home) / "credentials.env").exists() else ""
    url = descriptor.endpoints.predict.format(model=descriptor.model)
    accepted: set[str] = set()
    with httpx.Client(headers={"x-api-key": key} if key else {}, timeout=30) as client:
        for index in range(requests):
            start = (index * per_request + int(time.time())) % (len(ROWS) - per_request)
            body = {"instances": ROWS[start : start + per_request]}
            headers = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
            for _ in range(RETRIES):
                answer = client.post(url, json=body, headers=headers)
                if answer.status_code != 503:
                    break
                time.sleep(0.5)
            assert answer.status_code == 202, answer.text
            accepted.update(answer.json()["events"])
            time.sleep(pause_s)
    return accepted


def counted(home: Home, accepted: set[str]) -> tuple[int, int]:
    """(actions, logged predictions) of the accepted events: rows, not distinct ids, so a
    duplicate would show. Other tests' predictions in the copied home are not counted."""
    requests = {event.rsplit(".", 1)[0] for event in accepted}
    logged = tables.predictions
    query = select(func.count()).select_from(logged).where(logged.c.request_id.in_(requests))
    with create_engine(home.audit_url).connect() as connection:
        predictions = connection.execute(query).scalar_one()
    store = supervision.folder(home) / "actions.db"
    if not store.exists():
        return 0, int(predictions)
    query = select(func.count()).select_from(actions).where(actions.c.event_id.in_(accepted))
    with create_engine(f"sqlite:///{store}").connect() as connection:
        acted = connection.execute(query).scalar_one()
    return int(acted), int(predictions)


def settled(home: Home, accepted: set[str]) -> tuple[int, int]:
    """Wait until the action service has acted on every accepted event, then a little
    longer (a duplicate still on its way would show); the counts."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline and counted(home, accepted)[0] < len(accepted):
        time.sleep(0.5)
    time.sleep(1.0)
    return counted(home, accepted)
