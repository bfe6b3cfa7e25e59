"""The governance probes, one case per outcome: a fairness policy and a retention period
declared, an explanation whose attributions add up to the output, a training fairness
report without violations, an audit trail holding every live prediction with its lineage
and no planted canary in clear, and an altered row the chain catches."""

import json
from typing import Any

import pytest

from assessment.probes.governance import (
    attributions_are_locally_accurate,
    audit_tampering_detected,
    audit_trail_with_lineage_and_hashed_pii,
    declares_fairness_and_retention_policy,
    explains_a_prediction,
    training_fairness_within_policy,
)
from readiness.bundle import Outcome
from tests.assessment.probes.facts import Case, Missing, judged_as_expected

POLICY = {"fairness_policy": {"found": True, "file": "fairness.yaml", "rules": 2}}
NO_POLICY = {"fairness_policy": {"found": False, "problem": "fairness.yaml: no such file"}}
EXPLAINED = {"status": 200, "explanations": [
    {"base_value": 0.25, "output": 0.75, "attributions": {"age": 0.3, "hours": 0.2}}]}  # fmt: skip
ASTRAY = {"status": 200, "explanations": [
    {"base_value": 0.25, "output": 0.75, "attributions": {"age": 0.3}}]}  # fmt: skip


def registry(tags: dict[str, str]) -> dict[str, Any]:
    return {"model": "credit", "versions": {"3": {"tags": tags}}}


def audit(**changes: Any) -> dict[str, Any]:
    store = {"rows": {"predictions": 1200, "deployment_log": 4, "lineage": 2},
             "chains_ok": True, "lineage_versions": ["2", "3"], "sampled_predictions": 20,
             "sampled_logged": 20, "raw_pii_rows": 0, "pii_checked_rows": 200}  # fmt: skip
    return store | changes


SERVED = {"low_load": {"versions": ["3"]}}
CASES: dict[str, Case] = {
    "a policy file and a retention period are declared": (
        declares_fairness_and_retention_policy,
        {"descriptor": {"governance": {"retention_years": 7}}, "governance_files": POLICY},
        Outcome.PASS, "fairness policy fairness.yaml (2 rules), retention 7"),
    "a regime stands in for the retention period": (
        declares_fairness_and_retention_policy,
        {"descriptor": {"compliance": {"regime": "standard"}}, "governance_files": POLICY},
        Outcome.PASS, "retention by regime"),
    "the policy file named is missing and no retention is declared": (
        declares_fairness_and_retention_policy,
        {"descriptor": {}, "governance_files": NO_POLICY},
        Outcome.FAIL, "fairness.yaml: no such file; no retention period declared"),
    "no descriptor was read": (
        declares_fairness_and_retention_policy, {"descriptor": Missing("no descriptor file")},
        Outcome.NOT_AVAILABLE, "no descriptor file"),
    "an explanation with attributions": (
        explains_a_prediction, {"explanation": EXPLAINED},
        Outcome.PASS, "2 attributions for one prediction"),
    "the explain route refuses": (
        explains_a_prediction, {"explanation": {"status": 404}},
        Outcome.FAIL, "the explain endpoint answered 404"),
    "an explanation without attributions": (
        explains_a_prediction, {"explanation": {"status": 200, "explanations": [{}]}},
        Outcome.FAIL, "no attribution returned"),
    "no explain route is declared": (
        explains_a_prediction, {"explanation": Missing("no explain endpoint declared")},
        Outcome.NOT_AVAILABLE, "no explain endpoint declared"),
    "attributions add up to the output": (
        attributions_are_locally_accurate, {"explanation": EXPLAINED},
        Outcome.PASS, "base + sum(attributions) = output within 0"),
    "attributions miss the output": (
        attributions_are_locally_accurate, {"explanation": ASTRAY},
        Outcome.FAIL, "attributions miss the output by 0.2 (> 0.001)"),
    "an explanation without a base value": (
        attributions_are_locally_accurate,
        {"explanation": {"status": 200, "explanations": [{"attributions": {"age": 1.0}}]}},
        Outcome.FAIL, "explanations lack base_value, output or attributions"),
    "no explanation to check": (
        attributions_are_locally_accurate, {},
        Outcome.NOT_AVAILABLE, "no explanation evidence was collected"),
    "the served version's fairness report is clean": (
        training_fairness_within_policy,
        SERVED | {"registry": registry({"fairness.violations": "[]", "fairness.policy": "p1"})},
        Outcome.PASS, "version 3: no violation of policy p1"),
    "the served version violates the policy": (
        training_fairness_within_policy,
        SERVED | {"registry": registry(
            {"fairness.violations": json.dumps(["sex: selection rate ratio 0.61 < 0.8"])})},
        Outcome.FAIL, "version 3 violates: sex: selection rate ratio 0.61 < 0.8"),
    "the served version records no fairness report": (
        training_fairness_within_policy, SERVED | {"registry": registry({})},
        Outcome.FAIL, "version 3 records no fairness report (fairness.violations)"),
    "the served version is not in the registry": (
        training_fairness_within_policy,
        {"low_load": {"versions": ["9"]}, "registry": registry({})},
        Outcome.NOT_AVAILABLE, "version 9 is not in the registry's credit"),
    "every live prediction is logged with lineage and hashed PII": (
        audit_trail_with_lineage_and_hashed_pii, SERVED | {"audit_store": audit()},
        Outcome.PASS, "1,200 predictions, 4 deployments, lineage of 2, 3; chains verify; "
        "PII hashed in 200 rows checked"),
    "an empty lineage table": (
        audit_trail_with_lineage_and_hashed_pii,
        {"audit_store": audit(rows={"predictions": 5, "deployment_log": 1, "lineage": 0})},
        Outcome.FAIL, "no rows in lineage"),
    "a broken hash chain": (
        audit_trail_with_lineage_and_hashed_pii,
        {"audit_store": audit(chains_ok=False, chain_problem="predictions row 7")},
        Outcome.FAIL, "the hash chains do not verify: predictions row 7"),
    "no lineage row for the served version": (
        audit_trail_with_lineage_and_hashed_pii,
        {"low_load": {"versions": ["4"]}, "audit_store": audit()},
        Outcome.FAIL, "no lineage row for served version 4"),
    "live predictions missing from the log": (
        audit_trail_with_lineage_and_hashed_pii, {"audit_store": audit(sampled_logged=17)},
        Outcome.FAIL, "only 17 of 20 live predictions are in the prediction log"),
    "a planted canary logged in clear": (
        audit_trail_with_lineage_and_hashed_pii, {"audit_store": audit(raw_pii_rows=3)},
        Outcome.FAIL, "3 logged rows hold, in clear, a canary"),
    "no audit store declared": (
        audit_trail_with_lineage_and_hashed_pii,
        {"audit_store": Missing("no audit store declared (audit.uri)")},
        Outcome.NOT_AVAILABLE, "no audit store declared (audit.uri)"),
    "an altered row is caught": (
        audit_tampering_detected,
        {"tamper_check": {"detected": True, "altered": "predictions row 3", "found": "row 3"}},
        Outcome.PASS, "altered predictions row 3: row 3"),
    "an altered row still verifies": (
        audit_tampering_detected,
        {"tamper_check": {"detected": False, "altered": "predictions row 3"}},
        Outcome.FAIL, "altered predictions row 3 and the chain still verifies"),
    "no copy of the store to tamper with": (
        audit_tampering_detected, {"tamper_check": Missing("the audit store is not a file")},
        Outcome.NOT_AVAILABLE, "the audit store is not a file"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_governance_probe_judges_its_evidence(case: str) -> None:
    judged_as_expected(CASES[case])
