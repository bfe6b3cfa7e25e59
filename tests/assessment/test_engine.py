"""Assessing a bundle: facts -> probes -> scores, the same every time."""

import json
from pathlib import Path
from typing import Any

import pytest

from assessment.engine import assess, assess_and_record, run_probes
from assessment.exports import Format, render
from assessment.facts import DERIVED_FACTS_FILE, Fact, read_facts
from assessment.probes import Evidence, Verdict
from assessment.probes.entries import PROBES
from assessment.registry import build_registry
from assessment.result import ASSESSMENT_FILE, read_assessment
from assessment.rubric import rubric
from readiness.bundle import Outcome, check_seal, write_digests
from readiness.errors import InvalidInput
from tests.assessment.bundles import DESCRIPTOR, fact, mature_facts, mature_scenarios, write_bundle

MATURE = {
    "architecture": 5,
    "mlops": 5,
    "observability": 5,
    "governance": 5,
    "security": 5,
    "scalability": 5,
    "reliability": 5,
    "cost": 5,
    "team": 4,
    "compliance": 5,
}


def scores(bundle: Path) -> dict[str, int]:
    return {d.id: d.score for d in assess(bundle).dimensions}


def test_a_system_with_every_capability_and_scenario_scores_at_the_top(tmp_path: Path) -> None:
    assessment = assess(write_bundle(tmp_path, mature_facts(), mature_scenarios()))
    assert {d.id: d.score for d in assessment.dimensions} == MATURE
    assert assessment.total == 49
    assert assessment.roadmap == []


def test_without_scenarios_the_dimensions_they_prove_stay_below_five(tmp_path: Path) -> None:
    found = scores(write_bundle(tmp_path, mature_facts()))
    proved_by_scenarios = (
        "observability",
        "governance",
        "security",
        "reliability",
    )
    assert {found[d] for d in proved_by_scenarios} == {4}
    # nominal-load latency and scaling up are only seen under scenario load
    assert (found["architecture"], found["scalability"]) == (3, 3)


def test_without_live_facts_only_declarations_can_score(tmp_path: Path) -> None:
    found = scores(write_bundle(tmp_path, [fact("descriptor", DESCRIPTOR)]))
    assert set(found.values()) <= {1, 2}


@pytest.mark.parametrize(
    ("replaced", "dropped"),
    [
        ({"access_control": None}, {"security": 2}),
        ({"monitor_metrics": None}, {"observability": 3}),
        (
            {"explanation": {"status": 404, "explanations": None}},
            {"governance": 2},
        ),
        ({"model_info": None}, {"mlops": 3, "security": 3}),
        (
            {
                "log_scan": {
                    "sources": ["s.log"],
                    "lines": 5,
                    "findings": ["s.log: the api key appears 2 times"],
                }
            },
            {"security": 4},
        ),
        ({"alert_rules": None}, {"observability": 1, "team": 2}),
    ],
    ids=[
        "no access checks",
        "no monitor metrics",
        "explanations refused",
        "served artifact unknown",
        "a key in the logs",
        "no alert rules",
    ],
)
def test_taking_one_capability_away_drops_only_the_dimensions_it_serves(
    replaced: dict[str, Any], dropped: dict[str, int], tmp_path: Path
) -> None:
    found = scores(write_bundle(tmp_path, mature_facts(**replaced), mature_scenarios()))
    assert {k: v for k, v in found.items() if v != MATURE[k]} == dropped


def test_a_failed_scenario_drops_its_dimension_to_four(tmp_path: Path) -> None:
    found = scores(write_bundle(tmp_path, mature_facts(), mature_scenarios(failing=("bias",))))
    assert {k: v for k, v in found.items() if v != MATURE[k]} == {"governance": 4}


def test_the_same_bundle_gives_the_same_bytes_in_every_format(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path, mature_facts(monitor_metrics=None), mature_scenarios())
    for chosen in Format:
        assert render(assess(bundle), chosen) == render(assess(bundle), chosen), chosen


def test_a_probe_that_raises_is_an_error_finding_and_the_others_go_on() -> None:
    def health_answers(evidence: Evidence) -> Verdict:
        raise KeyError("status")

    probes = [p for p in PROBES if p.__name__ != "health_answers"] + [health_answers]
    registry = build_registry(rubric(), probes)
    findings = {f.probe: f for f in run_probes(registry, {f.name: f for f in mature_facts()})}
    assert findings["health_answers"].outcome is Outcome.ERROR
    assert "the probe raised KeyError" in findings["health_answers"].detail
    assert findings["ready_endpoint_answers"].outcome is Outcome.PASS


def test_an_attestation_answers_only_what_no_evidence_could(tmp_path: Path) -> None:
    files = {
        "fairness_policy": {"found": True, "file": "f.yaml", "rules": 1},
        "on_call": {"found": False, "problem": "no on-call rota declared"},
    }
    attested = [
        {
            "probe": "on_call_defined",
            "answer": True,
            "by": "Ana",
            "at": "2026-11-01",
            "detail": "rota in PagerDuty",
        },
        {"probe": "declares_owners", "answer": True, "by": "Ana", "at": "2026-11-01"},
    ]
    no_owner = {**DESCRIPTOR, "team": {"owners": []}}
    facts: list[Fact] = [
        *mature_facts(governance_files=files, descriptor=no_owner),
        fact("attestations", attested, attested=True),
    ]
    assessment = assess(write_bundle(tmp_path, facts, mature_scenarios()))
    team = {f.probe: f for f in assessment.dimension("team").findings}
    assert (team["on_call_defined"].outcome, team["on_call_defined"].attested) == (
        Outcome.PASS,
        True,
    )
    assert "attested by Ana" in team["on_call_defined"].detail
    assert (
        team["declares_owners"].outcome is Outcome.FAIL
    )  # observed: an attestation cannot override
    assert assessment.dimension("team").score == 1


def test_a_folder_without_a_manifest_is_not_a_bundle(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"is not an evidence bundle: it has no manifest\.json"):
        assess(tmp_path)


def test_an_edited_bundle_fails_its_digest_check(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path, mature_facts(), mature_scenarios())
    manifest = json.loads((bundle / "manifest.json").read_text())
    (bundle / "manifest.json").write_text(json.dumps(manifest, indent=4))
    finding = {f.probe: f for f in assess(bundle).findings()}["evidence_bundle_digested"]
    assert (finding.outcome, finding.detail) == (
        Outcome.FAIL,
        "manifest.json was changed after the run",
    )


def test_every_finding_links_the_evidence_it_was_judged_on(tmp_path: Path) -> None:
    assessment = assess(write_bundle(tmp_path, mature_facts(), mature_scenarios()))
    findings = {f.probe: f for f in assessment.findings()}
    assert findings["artifact_integrity_verified"].evidence == ["fact:registry", "fact:model_info"]
    assert findings["drift_raised_medium_alert"].evidence == ["fact:scenarios", "covariate-drift:0"]


def test_a_recorded_assessment_keeps_the_facts_it_derived_outside_the_seal(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path, mature_facts(), mature_scenarios())
    write_digests(bundle)
    recorded = assess_and_record(bundle)
    derived = {f.name: f for f in read_facts(bundle, DERIVED_FACTS_FILE)}
    assert sorted(derived) == ["bundle_digests", "scenario_metrics", "scenarios"]
    assert derived["bundle_digests"].value["problems"] == []
    assert read_assessment(bundle / ASSESSMENT_FILE, "ASSESSMENT") == recorded
    seal = check_seal(bundle)
    assert seal is not None
    assert not seal.broken
