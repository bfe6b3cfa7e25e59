"""A refused retraining is an alert: the champion stays, and someone must learn why.

It goes through the alerting package's own actions and sinks (a page or a ticket, by the
policy's choice for the trigger; a webhook when one is configured, else a JSON-lines file
under `$READINESS_HOME/monitoring/alerts`), so refusals arrive where monitor alerts do.
"""

from datetime import UTC, datetime
from pathlib import Path

from readiness.home import Home
from reference.platform.alerting.actions import AlertActions, Sinks
from reference.platform.alerting.engine import ActionOutcome, Alert
from reference.platform.alerting.rules import Action, Severity
from reference.platform.retraining.offline import Check

RULE = "retraining-refused"
RUNBOOK = "runbooks.md#retraining-refused"


def default_sinks(home: Home) -> Sinks:
    return Sinks(folder=home.root / "monitoring" / "alerts")


def sink_file(sinks: Sinks, action: Action) -> Path | None:
    """The file a page or ticket lands in, or None when it goes to a webhook."""
    webhook = sinks.page_webhook if action is Action.PAGE else sinks.ticket_webhook
    name = "pages.jsonl" if action is Action.PAGE else "tickets.jsonl"
    return None if webhook else sinks.folder / name


def alert_refusal(
    sinks: Sinks,
    action: Action,
    model: str,
    challenger: str,
    challenger_auc: float,
    failed: list[Check],
    context: str,
) -> ActionOutcome:
    """Page or ticket one refusal, naming every failed check; the outcome says where it went."""
    alert = Alert(
        rule=RULE,
        severity=Severity.HIGH if action is Action.PAGE else Severity.MEDIUM,
        model=model,
        version=challenger,
        summary=f"Automated retraining kept the champion: challenger {challenger} was refused.",
        condition="failed: " + ", ".join(check.name for check in failed),
        runbook=RUNBOOK,
        value=challenger_auc,
        detail=f"{context}. " + "; ".join(check.detail for check in failed),
        fired_at=datetime.now(UTC),
    )
    return AlertActions(sinks, admin=None)(action, alert, False)
