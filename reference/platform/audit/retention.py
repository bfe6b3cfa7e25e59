"""Retention: delete what is older than the policy allows, and say so in the audit trail.

A prune deletes, from each chain, the longest run of rows from its start that are all
older than the cutoff (now less the policy's years). It never makes a hole: a chain may
keep an old row behind a younger one (rows are stamped when answered, chained when
committed) until a later prune. The chain's base then moves to the last row deleted, so
what remains still verifies, and an audit event, chained like every other row, records
the policy, the cutoff, who pruned, and each chain's new base; `verify` refuses a base
that the last prune event does not name. All of it is one transaction. A store whose
chains do not verify is not pruned: the evidence of tampering is kept for whoever
investigates it.
"""

from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, func, select

from readiness.audit.chain import head, move_base
from readiness.audit.encoding import utc
from readiness.audit.events import PRUNE, record_event
from readiness.audit.store import AuditStore
from readiness.audit.tables import AT, CHAINED, ROW_HASH, SEQ
from readiness.audit.verify import verify
from readiness.documents import load_document
from readiness.errors import AuditStoreFailed, InvalidInput, InvalidPolicy, PruneRefused
from readiness.resources import shipped

POLICY_FILE = shipped("reference.platform", "policies", "retention.yaml")


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    years: int = Field(ge=1, le=100)
    rationale: str = ""


class RetentionPolicies(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policies: tuple[RetentionPolicy, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_are_unique(self) -> Self:
        names = [p.name for p in self.policies]
        if len(set(names)) != len(names):
            raise ValueError("a retention policy name appears twice")
        return self


class PrunedTable(BaseModel):
    deleted: int
    base_seq: int
    base_hash: str


class PruneReport(BaseModel):
    policy: str
    cutoff: datetime
    at: datetime
    by: str
    event_seq: int
    """The audit event that records this prune."""
    tables: dict[str, PrunedTable]


def retention_policy(name: str, path: Path = POLICY_FILE) -> RetentionPolicy:
    known = load_document(path, RetentionPolicies, InvalidPolicy, "retention policies")
    for policy in known.policies:
        if policy.name == name:
            return policy
    choices = ", ".join(p.name for p in known.policies)
    raise InvalidPolicy(f"no retention policy '{name}' (choose one of {choices})")


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar moment `years` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def prune(url: str, policy: RetentionPolicy, by: str, now: datetime | None = None) -> PruneReport:
    """Delete the rows `policy` no longer keeps; `by` is who prunes (recorded)."""
    if not by.strip():
        raise InvalidInput("a prune needs who prunes (--by)")
    at = utc(now) if now is not None else datetime.now(UTC)
    cutoff = years_before(at, policy.years)
    report = verify(url)
    if not report.ok:
        first = report.broken[0]
        raise PruneRefused(
            f"the {first.table} chain is broken at row {first.first_broken_seq} "
            f"({first.reason}): nothing is pruned until that is investigated"
        )
    tables: dict[str, PrunedTable] = {}
    with AuditStore(url, must_exist=True) as store, store.writing() as connection:
        heads = {name: head(connection, name, lock=True) for name in sorted(CHAINED)}
        for name, table in CHAINED.items():
            found = heads[name]
            if found is None:
                raise AuditStoreFailed(f"the {name} chain has no head: verify the store")
            seq = table.c[SEQ]
            young = connection.execute(select(func.min(seq)).where(table.c[AT] >= cutoff))
            first_kept = young.scalar_one_or_none()
            last = found.last_seq if first_kept is None else first_kept - 1
            if last <= found.base_seq:
                tables[name] = PrunedTable(deleted=0, base_seq=found.base_seq,
                                           base_hash=found.base_hash)  # fmt: skip
                continue
            base_hash = connection.execute(select(table.c[ROW_HASH]).where(seq == last))
            moved_to = base_hash.scalar_one()
            deleted = connection.execute(delete(table).where(seq <= last)).rowcount
            move_base(connection, name, last, moved_to)
            tables[name] = PrunedTable(deleted=deleted, base_seq=last, base_hash=moved_to)
        detail = {
            "policy": policy.name,
            "years": policy.years,
            "cutoff": cutoff.isoformat(),
            "tables": {name: pruned.model_dump() for name, pruned in tables.items()},
        }
        event = record_event(connection, at, by, PRUNE, detail)
    return PruneReport(policy=policy.name, cutoff=cutoff, at=at, by=by,
                       event_seq=event.seq, tables=tables)  # fmt: skip
