"""The alert rules as a Prometheus alerting rules file, for a deployment that alerts from
Prometheus and Alertmanager rather than (or as well as) our engine. Generated from the
same `RuleSet`, so the two never disagree. A gauge holds one window's value until the
next, so a rule that waits for n windows in a row waits for n - 1 windows more in `for`."""

import sys
from typing import Any

import yaml

from reference.platform.alerting.rules import RuleSet


def prometheus_rules(rules: RuleSet, window_seconds: float) -> dict[str, Any]:
    entries = []
    for rule in rules.rules:
        condition = rule.when
        entries.append({
            "alert": "".join(part.title() for part in rule.name.split("-")),
            "expr": f"{condition.metric} {condition.op} {condition.value:g}",
            "for": f"{round((rule.for_windows - 1) * window_seconds)}s",
            "labels": {"severity": str(rule.severity)},
            "annotations": {
                "summary": rule.summary,
                "runbook_url": rule.runbook,
                "actions": ", ".join(str(a) for a in rule.actions),
            },
        })  # fmt: skip
    return {"groups": [{"name": "readiness-monitors", "rules": entries}]}


def render(rules: RuleSet, window_seconds: float) -> str:
    header = (
        "# Generated from reference/platform/alerting/rules.yaml by\n"
        "# `python -m reference.platform.alerting.prometheus_rules`; do not edit by hand.\n"
    )
    return header + yaml.safe_dump(prometheus_rules(rules, window_seconds), sort_keys=False)


if __name__ == "__main__":
    from reference.platform.alerting.rules import DEFAULT_RULES, load_rules
    from reference.platform.monitoring.config import MonitorConfig

    target = DEFAULT_RULES.parent / "prometheus-rules.yml"
    target.write_text(render(load_rules(), MonitorConfig().window.seconds))
    sys.stdout.write(f"wrote {target}\n")
