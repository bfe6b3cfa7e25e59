"""The gate: an assessment against a policy (and, optionally, a baseline assessment).

Fails on: the total under the minimum, an enforced dimension under its minimum, a required
probe not passing, and, with a baseline, any enforced dimension that scores lower than it
did. Active exemptions waive a probe or a dimension minimum; expired ones are reported and
waive nothing. Advisory dimensions are reported as warnings."""

from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict

from assessment.policy import Mode, Policy
from assessment.result import Assessment
from readiness.bundle import Outcome


@dataclass
class GateResult:
    policy: str
    total: int
    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    waived: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.violations


def gate(
    assessment: Assessment,
    policy: Policy,
    baseline: Assessment | None = None,
    today: date | None = None,
) -> GateResult:
    today = today or date.today()
    result = GateResult(policy=policy.name, total=assessment.total)
    active = [e for e in policy.exemptions if e.active(today)]
    for exemption in policy.exemptions:
        if not exemption.active(today):
            result.expired.append(
                f"{exemption.subject}: expired {exemption.expires} "
                f"(owner {exemption.owner}): it waives nothing"
            )
    waived_probes = {e.probe: e for e in active if e.probe}
    waived_dimensions = {e.dimension: e for e in active if e.dimension}
    if assessment.total < policy.min_total:
        result.violations.append(f"total {assessment.total} < minimum {policy.min_total}")
    for name, rule in policy.dimensions.items():
        if rule.mode is Mode.DISABLED:
            continue
        score = assessment.dimension(name).score
        if score >= rule.min:
            continue
        message = f"{name} {score} < minimum {rule.min}"
        if rule.mode is Mode.ADVISORY:
            result.warnings.append(f"{message} (advisory)")
        elif name in waived_dimensions:
            e = waived_dimensions[name]
            result.waived.append(f"{message}: exempt until {e.expires} ({e.owner}: {e.reason})")
        else:
            result.violations.append(message)
    findings = {f.probe: f for f in assessment.findings()}
    for probe in policy.required_probes:
        finding = findings.get(probe)
        if finding is not None and finding.outcome is Outcome.PASS:
            continue
        outcome = finding.outcome if finding else "missing"
        message = f"required probe {probe} is {outcome}" + (
            f": {finding.detail}" if finding else ""
        )
        if probe in waived_probes:
            e = waived_probes[probe]
            result.waived.append(f"{message}: exempt until {e.expires} ({e.owner}: {e.reason})")
        else:
            result.violations.append(message)
    if baseline is not None:
        _regressions(assessment, baseline, policy, result)
    return result


def _regressions(
    assessment: Assessment, baseline: Assessment, policy: Policy, result: GateResult
) -> None:
    for dimension in assessment.dimensions:
        rule = policy.dimensions.get(dimension.id)
        if rule is None or rule.mode is not Mode.ENFORCED:
            continue
        before = baseline.dimension(dimension.id).score
        if dimension.score < before:
            result.violations.append(
                f"{dimension.id} regressed from {before} to {dimension.score} against the baseline"
            )


def summary(result: GateResult, assessment: Assessment) -> str:
    """The gate's verdict in Markdown, for a CI job summary or a pull-request comment."""
    from assessment.exports.markdown import scorecard

    verdict = "passed" if result.passed else "**failed**"
    lines = [
        f"## Readiness gate ({result.policy}): {verdict}",
        "",
        f"{assessment.subject.name} ({assessment.subject.profile}): "
        f"{assessment.total}/{assessment.max_total}",
        "",
    ]
    for title, items in (
        ("Violations", result.violations),
        ("Warnings", result.warnings),
        ("Waived by exemption", result.waived),
        ("Expired exemptions", result.expired),
    ):
        if items:
            lines += [f"### {title}", "", *[f"- {item}" for item in items], ""]
    return "\n".join([*lines, *scorecard(assessment), ""])


class GateVerdict(BaseModel):
    """`readiness gate --format json`: the verdict a pipeline step reads, with what made it."""

    model_config = ConfigDict(extra="forbid")

    policy: str
    passed: bool
    subject: str
    profile: str
    total: int
    max_total: int
    violations: list[str]
    warnings: list[str]
    waived: list[str]
    expired: list[str]
    dimensions: dict[str, int]


def verdict(result: GateResult, assessment: Assessment) -> GateVerdict:
    return GateVerdict(
        policy=result.policy, passed=result.passed, subject=assessment.subject.name,
        profile=assessment.subject.profile, total=assessment.total,
        max_total=assessment.max_total, violations=result.violations,
        warnings=result.warnings, waived=result.waived, expired=result.expired,
        dimensions={d.id: d.score for d in assessment.dimensions},
    )  # fmt: skip


def text(result: GateResult, assessment: Assessment) -> str:
    """The verdict as lines for a terminal or a CI log."""
    state = "passed" if result.passed else "failed"
    lines = [f"gate {result.policy}: {state} ({assessment.total}/{assessment.max_total})"]
    lines += [f"  violation: {line}" for line in result.violations]
    lines += [f"  note: {line}" for line in result.warnings + result.waived + result.expired]
    return "\n".join([*lines, ""])
