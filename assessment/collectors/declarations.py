"""What the target declares: the descriptor, and the files it names (alert rules with their
runbooks, fairness policy, on-call rota, control mapping, attestations). Level-2 evidence:
declared, not yet confirmed live."""

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from assessment.collectors import Provenances
from assessment.facts import Fact
from assessment.rubric import rubric
from readiness.descriptor import TargetDescriptor
from readiness.documents import load_document
from readiness.errors import InvalidDescriptor, InvalidInput

PROVIDES = ("descriptor", "alert_rules", "governance_files", "control_mapping", "attestations")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Control(_Strict):
    id: str = Field(min_length=1)
    description: str = ""
    probes: list[str] = []


class Requirement(_Strict):
    id: str = Field(min_length=1)
    title: str
    source: str
    """The regulation and article, e.g. 'GDPR Art. 5(1)(e)'."""
    controls: list[Control] = Field(min_length=1)


class ControlMapping(_Strict):
    schema_version: int = 1
    requirements: list[Requirement] = Field(min_length=1)


class Attestation(_Strict):
    probe: str
    answer: bool
    by: str = Field(min_length=1)
    at: date
    detail: str = ""


class Attestations(_Strict):
    schema_version: int = 1
    attestations: list[Attestation]


def load_control_mapping(path: Path) -> ControlMapping:
    return load_document(path, ControlMapping, InvalidInput, "control mapping")


def load_attestations(path: Path) -> Attestations:
    """Attestations answer only attestable probes of the rubric; anything else is refused,
    naming the entry."""
    found = load_document(path, Attestations, InvalidInput, "attestations file")
    probes = {p.id: p for p in rubric().probes}
    for index, entry in enumerate(found.attestations):
        definition = probes.get(entry.probe)
        if definition is None:
            raise InvalidInput(
                f"attestations file {path}: attestations.{index}.probe: no probe "
                f"'{entry.probe}' in the rubric"
            )
        if not definition.attestable:
            raise InvalidInput(
                f"attestations file {path}: attestations.{index}.probe: "
                f"'{entry.probe}' must be observed, it cannot be attested"
            )
    return found


def validate_declarations(descriptor: TargetDescriptor, base: Path) -> None:
    """Refuse, before anything runs, a declared file that is missing or malformed."""
    controls = descriptor.compliance.controls if descriptor.compliance else None
    if controls is not None:
        load_control_mapping(descriptor.resolve(controls, base))
    if descriptor.attestations is not None:
        load_attestations(descriptor.resolve(descriptor.attestations, base))
    if descriptor.alert_rules is not None:
        alert_rules(descriptor, base)


def collect_declarations(
    descriptor: TargetDescriptor, base: Path, stamp: Provenances
) -> list[Fact]:
    def named(path: Path | None) -> Path | None:
        return descriptor.resolve(path, base) if path is not None else None

    rules = named(descriptor.alert_rules)
    controls = named(descriptor.compliance.controls if descriptor.compliance else None)
    attested = named(descriptor.attestations)
    return [
        stamp.fact("descriptor", str(base), descriptor.model_dump(mode="json")),
        stamp.fact("governance_files", str(base), _governance_files(descriptor, base)),
        _guarded(
            stamp,
            "alert_rules",
            rules,
            "no alert_rules declared",
            lambda: alert_rules(descriptor, base),
        ),
        _guarded(
            stamp,
            "control_mapping",
            controls,
            "no control mapping declared (compliance.controls)",
            lambda: load_control_mapping(controls).model_dump(mode="json") if controls else None,
        ),
        _guarded(
            stamp,
            "attestations",
            attested,
            "no attestations file declared",
            lambda: (
                [a.model_dump(mode="json") for a in load_attestations(attested).attestations]
                if attested
                else None
            ),
        ),
    ]


def _guarded(
    stamp: Provenances, name: str, source: Path | None, missing: str, read: Callable[[], Any]
) -> Fact:
    if source is None:
        return stamp.unavailable(name, "descriptor", missing)
    try:
        return stamp.fact(name, str(source), read())
    except InvalidInput as problem:
        return stamp.error(name, str(source), str(problem))


def alert_rules(descriptor: TargetDescriptor, base: Path) -> dict[str, Any]:
    """The rules of a Prometheus rules file, each with its severity and whether its runbook
    was found (a local file, and the heading its #anchor names)."""
    assert descriptor.alert_rules is not None
    path = descriptor.resolve(descriptor.alert_rules, base)
    try:
        document = yaml.safe_load(path.read_text())
        groups = document["groups"]
        rules = [rule for group in groups for rule in group.get("rules", []) if "alert" in rule]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as problem:
        raise InvalidDescriptor(
            f"alert rules {path}: not a Prometheus rules file ({problem})"
        ) from problem
    root = path.parent
    if descriptor.team and descriptor.team.runbook_root:
        root = descriptor.resolve(descriptor.team.runbook_root, base)
    return {"file": str(path), "rules": [_rule(rule, root) for rule in rules]}


def _rule(rule: dict[str, Any], root: Path) -> dict[str, Any]:
    runbook = str((rule.get("annotations") or {}).get("runbook_url") or "")
    return {
        "alert": str(rule["alert"]),
        "severity": str((rule.get("labels") or {}).get("severity")),
        "runbook": runbook,
        "runbook_found": runbook_found(runbook, root),
    }


def runbook_found(url: str, root: Path) -> bool:
    """A local runbook must exist (with the heading its anchor names); a URL elsewhere is
    taken as declared: the assessment sends no request beyond the target."""
    if not url:
        return False
    if re.match(r"^https?://", url):
        return True
    file, _, anchor = url.partition("#")
    path = root / file
    if not path.is_file():
        return False
    if not anchor:
        return True
    headings = re.findall(r"^#+\s+(.+?)\s*$", path.read_text(), flags=re.MULTILINE)
    return anchor in {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def _governance_files(descriptor: TargetDescriptor, base: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    governance, team = descriptor.governance, descriptor.team
    policy = governance.fairness_policy if governance else None
    found["fairness_policy"] = (
        _fairness_policy(descriptor.resolve(policy, base))
        if policy
        else {"found": False, "problem": "no fairness policy declared (governance.fairness_policy)"}
    )
    rota = team.on_call if team else None
    if rota is None:
        found["on_call"] = {"found": False, "problem": "no on-call rota declared (team.on_call)"}
    else:
        path = descriptor.resolve(rota, base)
        found["on_call"] = {
            "found": path.is_file(),
            "file": str(path),
            "problem": "" if path.is_file() else f"{path} does not exist",
        }
    return found


def _fairness_policy(path: Path) -> dict[str, Any]:
    """A fairness policy names sensitive features and at least one threshold."""
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as problem:
        return {"found": False, "file": str(path), "problem": f"{path}: {problem}"}
    if not isinstance(document, dict) or not document.get("sensitive_features"):
        return {"found": False, "file": str(path), "problem": f"{path} names no sensitive_features"}
    rules = [k for k, v in document.items() if k.endswith(("_min", "_max")) and v is not None]
    if not rules:
        return {"found": False, "file": str(path), "problem": f"{path} sets no threshold"}
    return {"found": True, "file": str(path), "rules": len(rules)}
