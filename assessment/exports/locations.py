"""Where in the target descriptor a finding belongs: the file's path relative to the
repository root, and the line of the field the finding concerns, so code scanning places
the alert beside the declaration a team would change.

The descriptor is read as it is now only when it still describes the system that was
assessed (its digest is the one recorded in the run); otherwise the finding is placed at
line 1 rather than beside a field that may since have moved or changed."""

from dataclasses import dataclass
from pathlib import Path

import yaml

from assessment.result import Assessment, Finding
from assessment.rubric import rubric
from harness.target import Target
from readiness.errors import ReadinessError

FIELD_OF_EVIDENCE: dict[str, str] = {
    "alert_rules": "alert_rules",
    "governance_files": "governance",
    "control_mapping": "compliance.controls",
    "attestations": "attestations",
    "request_schema": "data.instance_schema",
    "service_metrics": "endpoints.metrics",
    "monitor_metrics": "endpoints.monitor_metrics",
    "model_info": "endpoints.metrics",
    "health": "endpoints.health",
    "low_load": "endpoints.predict",
    "access_control": "credentials",
    "input_validation": "endpoints.predict",
    "explanation": "endpoints.explain",
    "registry": "registry",
    "feature_store": "feature_store",
    "audit_store": "audit_store",
    "tamper_check": "audit_store",
    "log_scan": "logs",
}
"""The descriptor field each kind of evidence comes from (the rest come from scenarios, the
bundle or the engine, and fall back to their dimension's field)."""

FIELD_OF_DIMENSION: dict[str, str] = {
    "architecture": "pattern",
    "mlops": "registry",
    "observability": "alert_rules",
    "governance": "governance",
    "security": "credentials",
    "scalability": "scale",
    "reliability": "resilience",
    "cost": "cost",
    "team": "team",
    "compliance": "compliance",
}


def field_lines(text: str) -> dict[str, int]:
    """Each mapping key of a YAML document by dotted path, with its 1-based line."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = f"{prefix}{key.value}"
                lines.setdefault(name, key.start_mark.line + 1)
                walk(value, f"{name}.")

    if root is not None:
        walk(root, "")
    return lines


def _repository_root(start: Path) -> Path:
    """The nearest folder above `start` holding `.git` (a checkout or a worktree)."""
    for folder in [start, *start.parents]:
        if (folder / ".git").exists():
            return folder
    return Path.cwd()


def _digest_of(path: Path) -> str | None:
    """The digest the run recorded for a descriptor (`Target.digest`), of the file now."""
    try:
        return Target.from_file(path).digest
    except (ReadinessError, OSError):
        return None


@dataclass(frozen=True)
class DescriptorLocations:
    uri: str
    """The descriptor's path relative to the root (a file: URI when outside it)."""
    lines: dict[str, int]
    """Empty when the file is gone or no longer the one assessed."""

    def line(self, finding: Finding) -> int:
        """The line of the most specific declared field the finding concerns, else 1."""
        evidence = next((p.evidence for p in rubric().probes if p.id == finding.probe), [])
        candidates = [FIELD_OF_EVIDENCE[e] for e in evidence if e in FIELD_OF_EVIDENCE]
        candidates.append(FIELD_OF_DIMENSION.get(finding.dimension, ""))
        for field in candidates:
            parts = field.split(".")
            for depth in range(len(parts), 0, -1):  # endpoints.explain, then endpoints
                found = self.lines.get(".".join(parts[:depth]))
                if found is not None:
                    return found
        return 1


def descriptor_locations(assessment: Assessment, root: Path | None = None) -> DescriptorLocations:
    """Where the assessed descriptor is, relative to `root` (default: the repository that
    holds it, else the working folder)."""
    recorded = assessment.subject.descriptor_file
    if not recorded:
        return DescriptorLocations("target.yaml", {})
    path = Path(recorded).resolve()
    base = (root or _repository_root(path.parent)).resolve()
    uri = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.as_uri()
    same = path.is_file() and _digest_of(path) == assessment.subject.descriptor_digest
    return DescriptorLocations(uri, field_lines(path.read_text()) if same else {})
