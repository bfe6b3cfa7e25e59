from pathlib import Path

import pytest
import yaml

from readiness.errors import InvalidPolicy
from reference.platform.alerting.prometheus_rules import render
from reference.platform.alerting.rules import DEFAULT_RULES, Severity, load_rules
from reference.platform.monitoring.config import MonitorConfig
from reference.platform.monitoring.metrics import GAUGES

SHIPPED_PROMETHEUS_RULES = DEFAULT_RULES.parent / "prometheus-rules.yml"


def test_the_shipped_rules_cover_every_severity_of_the_hierarchy() -> None:
    rules = load_rules()
    assert {r.severity for r in rules.rules} == set(Severity)
    assert all(r.runbook for r in rules.rules)


def test_a_rule_on_a_metric_no_monitor_exports_is_refused(tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_RULES.read_text())
    document["rules"][0]["when"]["metric"] = "readiness_model_acuracy"
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(InvalidPolicy, match="readiness_model_acuracy', which no monitor exports"):
        load_rules(path)


def test_two_rules_with_one_name_are_refused(tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_RULES.read_text())
    document["rules"][1]["name"] = document["rules"][0]["name"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(InvalidPolicy, match="rules named twice: quality-below-minimum"):
        load_rules(path)


def test_the_shipped_prometheus_rules_are_generated_from_the_rules() -> None:
    defaults = MonitorConfig()
    expected = render(load_rules(), defaults.window.seconds, defaults.poll_seconds)
    assert SHIPPED_PROMETHEUS_RULES.read_text() == expected


def test_every_prometheus_rule_watches_an_exported_gauge() -> None:
    document = yaml.safe_load(SHIPPED_PROMETHEUS_RULES.read_text())
    for rule in document["groups"][0]["rules"]:
        assert rule["expr"].split()[0] in GAUGES
        assert rule["labels"]["severity"] in set(Severity)
        assert rule["annotations"]["runbook_url"]


def test_every_runbook_link_names_a_section_of_the_runbooks() -> None:
    runbooks = (Path(__file__).parents[4] / "reference/platform/alerting/runbooks.md").read_text()
    anchors = {line[3:].strip() for line in runbooks.splitlines() if line.startswith("## ")}
    for rule in load_rules().rules:
        document, _, anchor = rule.runbook.partition("#")
        assert document == "runbooks.md"
        assert anchor in anchors, rule.name
