"""Audit events: what was done to the audit store itself (a prune, for now), by whom.

They are a chain like every other table, so an event cannot be removed or reworded
unnoticed, and `verify` checks each chain's base against the last prune event: rows can
leave the start of a chain only through a prune that says so.
"""

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, select

from readiness.audit.chain import append
from readiness.audit.encoding import utc
from readiness.audit.tables import SEQ, audit_events

PRUNE = "prune"


class AuditEvent(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


def record_event(
    connection: Connection, at: datetime, actor: str, action: str, detail: dict[str, Any]
) -> AuditEvent:
    """Append one event in the caller's write transaction."""
    text = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    row = {"at": at, "actor": actor[:128], "action": action, "detail": text}
    (stored,) = append(connection, audit_events, [row])
    return AuditEvent(seq=stored[SEQ], at=stored["at"], actor=stored["actor"],
                      action=action, detail=detail)  # fmt: skip


def last_event(connection: Connection, action: str) -> AuditEvent | None:
    query = (
        select(audit_events)
        .where(audit_events.c.action == action)
        .order_by(audit_events.c.seq.desc())
        .limit(1)
    )
    row = connection.execute(query).mappings().one_or_none()
    if row is None:
        return None
    return AuditEvent(seq=row[SEQ], at=utc(row["at"]), actor=row["actor"],
                      action=row["action"], detail=json.loads(row["detail"]))  # fmt: skip
