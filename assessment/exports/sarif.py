"""SARIF 2.1.0: each failing probe is a result, so code-scanning tools (GitHub, GitLab)
show readiness gaps beside code findings. Every probe is a rule; a result's level comes
from its dimension's risk and gap to target (`security-severity` too, on GitHub's 0-10)."""

import json
from pathlib import Path
from typing import Any

from assessment.exports.locations import descriptor_locations
from assessment.result import Assessment, DimensionResult, Finding
from assessment.rubric import rubric
from readiness.bundle import Outcome

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/readiness/readiness"
FAILING = (Outcome.FAIL, Outcome.ERROR)


def severity(dimension: DimensionResult) -> tuple[str, float]:
    """(SARIF level, security-severity): risk x gap, so a gap in a high-risk dimension far
    below its target is an error and a gap already at target is a note."""
    weight = dimension.risk * dimension.gap
    level = "error" if weight >= 6 else "warning" if weight >= 2 else "note"
    return level, round(min(10.0, 1.0 + weight * 0.75), 1)


def _camel(id: str) -> str:
    return "".join(part.capitalize() for part in id.split("_"))


def _rule(finding: Finding) -> dict[str, Any]:
    fix = finding.remediation
    return {
        "id": finding.probe,
        "name": _camel(finding.probe),
        "shortDescription": {"text": finding.question},
        "fullDescription": {
            "text": f"{finding.dimension}, level {finding.level}: {finding.question}"
        },
        "help": {
            "text": f"{fix.text} (effort {fix.effort}; see {fix.reference})",
            "markdown": f"{fix.text}\n\nEffort: {fix.effort}. Done right in `{fix.reference}`.",
        },
        "properties": {
            "dimension": finding.dimension,
            "level": finding.level,
            "effort": fix.effort.value,
            "tags": ["readiness", finding.dimension],
        },
    }


def render(assessment: Assessment, root: Path | None = None) -> str:
    """`root`: the repository root the descriptor's path is given from (default: the
    repository holding the descriptor)."""
    findings = [f for d in assessment.dimensions for f in d.findings]
    index = {f.probe: position for position, f in enumerate(findings)}
    where = descriptor_locations(assessment, root)
    results = []
    for dimension in assessment.dimensions:
        level, score = severity(dimension)
        for finding in dimension.findings:
            if finding.outcome not in FAILING:
                continue
            results.append(
                {
                    "ruleId": finding.probe,
                    "ruleIndex": index[finding.probe],
                    "level": level,
                    "message": {
                        "text": f"{dimension.title} {dimension.score}/{dimension.target}: "
                        f"{finding.question} {finding.outcome}: {finding.detail}"
                    },
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": where.uri},
                                "region": {"startLine": where.line(finding)},
                            }
                        }
                    ],
                    "partialFingerprints": {
                        "readinessProbe/v1": f"{assessment.subject.name}/{finding.probe}"
                    },
                    "properties": {
                        "dimension": dimension.id,
                        "outcome": str(finding.outcome),
                        "security-severity": str(score),
                        "evidence": finding.evidence,
                    },
                }
            )
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "readiness",
                        "version": assessment.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(f) for f in findings],
                    }
                },
                "automationDetails": {
                    "id": f"readiness/{assessment.subject.name}/{assessment.subject.run_id}"
                },
                "results": results,
                "properties": {
                    "total": assessment.total,
                    "max_total": assessment.max_total,
                    "rubric_version": rubric().schema_version,
                    "scores": {d.id: d.score for d in assessment.dimensions},
                },
            }
        ],
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"
