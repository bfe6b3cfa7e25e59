"""The alert rules as a Prometheus alerting rules file, for a deployment that alerts from
Prometheus and Alertmanager rather than (or as well as) our engine. Generated from the
same `RuleSet`, so the two never disagree. A gauge holds one window's value until the
next, so a rule that waits for n windows in a row waits for n - 1 windows more in `for`; a
gauge computed at every poll (`POLLED`) has polls for windows."""

import sys
from typing import Any

import yaml

from reference.platform.alerting.rules import RuleSet
from reference.platform.monitoring.metrics import POLLED


def prometheus_rules(rules: RuleSet, window_seconds: float, poll_seconds: float) -> dict[str, Any]:
    entries = []
    for rule in rules.rules:
        condition = rule.when
        seconds = poll_seconds if condition.metric in POLLED else window_seconds
        entries.append({
            "alert": "".join(part.title() for part in rule.name.split("-")),
            "expr": f"{condition.metric} {condition.op} {condition.value:g}",
            "for": f"{round((rule.for_windows - 1) * seconds)}s",
            "labels": {"severity": str(rule.severity)},
            "annotations": {
                "summary": rule.summary,
                "runbook_url": rule.runbook,
                "actions": ", ".join(str(a) for a in rule.actions),
            },
        })  # fmt: skip
    return {"groups": [{"name": "readiness-monitors", "rules": entries}]}


def render(rules: RuleSet, window_seconds: float, poll_seconds: float) -> str:
    header = (
        "# Generated from reference/platform/alerting/rules.yaml by\n"
        "# `python -m reference.platform.alerting.prometheus_rules`; do not edit by hand.\n"
    )
    document = prometheus_rules(rules, window_seconds, poll_seconds)
    return header + yaml.safe_dump(document, sort_keys=False)


if __name__ == "__main__":
    from reference.platform.alerting.rules import DEFAULT_RULES, load_rules
    from reference.platform.monitoring.config import MonitorConfig

    target = DEFAULT_RULES.parent / "prometheus-rules.yml"
    defaults = MonitorConfig()
    target.write_text(render(load_rules(), defaults.window.seconds, defaults.poll_seconds))
    sys.stdout.write(f"wrote {target}\n")
