"""The rollback probe reads the aliases the descriptor declares, not ours: a registry whose
team calls its champion `prod` is judged by `prod`, and one without it says which alias it
looked for (never "champion None")."""

from typing import Any

import pytest

from assessment.probes import Evidence
from assessment.probes.operations import previous_version_kept_for_rollback
from readiness.bundle import Outcome
from tests.assessment.probes.facts import collected, evidence_of

APPROVED = {"tags": {"approval.by": "ana"}}


def evidence(registry: dict[str, Any]) -> Evidence:
    return evidence_of(
        "previous_version_kept_for_rollback",
        ("registry", "audit_store"),
        collected("registry", registry, "registry"),
    )


def registry(aliases: dict[str, str], names: dict[str, str] | None) -> dict[str, Any]:
    names = names or {"champion": "champion", "previous": "previous"}
    return {"model": "credit", "aliases": aliases, "alias_names": names,
            "roles": {role: aliases.get(name) for role, name in names.items()},
            "versions": {"1": APPROVED, "2": APPROVED}}  # fmt: skip


OURS = {"champion": "prod", "previous": "last-good"}
CASES = {
    "the team's own aliases, declared": (
        registry({"prod": "2", "last-good": "1"}, OURS), Outcome.PASS,
        "prod 2, last-good 1; approved, never withdrawn: 1"),
    "the team's own aliases, undeclared": (
        registry({"prod": "2", "last-good": "1"}, None), Outcome.NOT_AVAILABLE,
        "no version of credit carries the champion alias 'champion' (aliases: {'prod': '2', "
        "'last-good': '1'}); declare the alias that names what serves in registry.aliases"),
    "no alias at all": (
        registry({}, OURS), Outcome.NOT_AVAILABLE,
        "carries the champion alias 'prod' (aliases: none)"),
    "our default names": (
        registry({"champion": "2"}, None), Outcome.PASS, "champion 2, previous none"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_rollback_probe_reads_the_declared_aliases(case: str) -> None:
    value, outcome, detail = CASES[case]
    found = previous_version_kept_for_rollback(evidence(value))
    assert found.outcome is outcome, found.detail
    assert detail in found.detail
    assert "None" not in found.detail
