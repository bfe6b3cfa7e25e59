"""Each page of the app, run by Streamlit's AppTest on the sample runs (and on folders
that hold nothing, or broken bundles). The sidebar's choices are set in the session state:
AppTest shows the sidebar of an `st.navigation` app on its first run only (the browser test
uses the real sidebar)."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from reports.app import state
from tests.reports.samples import PRODUCTION, PROTOTYPE, SAMPLE_RUNS, copy_runs

MAIN = str(Path(state.__file__).parent / "main.py")
TIMEOUT_S = 60


def _app(
    runs: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None, **chosen: str
) -> AppTest:
    monkeypatch.setenv(state.RUNS_VARIABLE, str(runs))
    app = AppTest.from_file(MAIN, default_timeout=TIMEOUT_S)
    for key, value in chosen.items():
        app.session_state[key] = value
    app.run()
    if page is not None:
        app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def _text(app: AppTest) -> str:
    parts = [e.value for e in app.markdown] + [e.value for e in app.caption]
    parts += [e.value for e in app.success] + [e.value for e in app.error]
    parts += [e.value for e in app.warning] + [e.value for e in app.info]
    return "\n".join(str(p) for p in parts)


def test_the_overview_shows_the_newest_run_its_total_and_the_policy_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(SAMPLE_RUNS, monkeypatch)
    assert app.title[0].value == "Readiness of readiness-microservice-prototype"
    assert [m.value for m in app.metric][:2] == ["10/50", "40"]
    assert app.error[0].value == "Policy whitepaper: fails"
    assert "Evidence seal: 28 files, unchanged since the run." in _text(app)


def test_choosing_another_run_and_no_policy_changes_the_overview(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(SAMPLE_RUNS, monkeypatch, run=PRODUCTION, policy=state.NO_POLICY)
    assert app.title[0].value == "Readiness of readiness-microservice-production"
    assert not app.error
    assert not app.success
    assert "Served model: adult-income version 1 (sha256 531c24a98ff4)." in _text(app)


def test_a_policy_file_that_is_not_a_policy_is_reported_and_not_applied(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("schema_version: 1\nname: strict\nmin_total: lots\n")
    app = _app(SAMPLE_RUNS, monkeypatch, policy_file=str(policy))
    [error] = app.error
    assert error.value.startswith("Policy not applied: gate policy")
    assert "min_total" in error.value


def test_the_dimension_page_opens_on_the_first_dimension_below_target_with_its_evidence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(SAMPLE_RUNS, monkeypatch, "dimensions", run=PRODUCTION)
    assert app.title[0].value == "Scalability: 3/5 (target 4)"
    levels = [h.value for h in app.subheader]
    assert levels[0] == "Level 2: 1 of 1 probes pass (reached)"
    assert levels[2].startswith("Level 4:")
    assert levels[2].endswith("(not reached)")
    text = _text(app)
    assert "where: `http://127.0.0.1:" in text
    assert "**To fix** (effort" in text


def test_the_timeline_page_shows_the_measured_delays_and_the_markers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(SAMPLE_RUNS, monkeypatch, "timelines", run=PRODUCTION)
    app.selectbox[0].select("bad-rollout").run()
    metrics = {m.label: m.value for m in app.metric}
    assert metrics == {"rolled back": "19.7 s", "detected": "19.9 s"}
    assert "action: roll out a degraded version" in _text(app)
    assert len(app.get("image")) == 1


def test_the_roadmap_page_shows_the_three_buckets_and_every_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(SAMPLE_RUNS, monkeypatch, "roadmap")
    assert [m.label for m in app.metric] == ["30 days", "60 days", "90 days"]
    assert len(app.dataframe[0].value) == 43


def test_the_compare_page_puts_both_profiles_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(SAMPLE_RUNS, monkeypatch, "compare")
    table = app.dataframe[0].value
    assert list(table.columns)[:2] == ["dimension", "target"]
    assert len(table.columns) == 4
    assert "a trend needs two or more" in _text(app)


def test_the_trend_follows_one_system_across_its_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs = copy_runs(tmp_path)
    later = runs / "later"
    later.mkdir()
    manifest = json.loads((runs / PROTOTYPE / "manifest.json").read_text())
    assessment = json.loads((runs / PROTOTYPE / "assessment.json").read_text())
    manifest.update(run_id="later", started=manifest["started"] + 86_400)
    assessment["subject"].update(run_id="later", run_started=manifest["started"])
    (later / "manifest.json").write_text(json.dumps(manifest))
    (later / "assessment.json").write_text(json.dumps(assessment))
    app = _app(runs, monkeypatch, "compare")
    app.selectbox[0].select("readiness-microservice-prototype (prototype)").run()
    assert list(app.dataframe[1].value["run"]) == [PROTOTYPE, "later"]  # oldest first, as drawn


def test_the_export_page_prepares_an_html_and_a_pdf_to_download(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(SAMPLE_RUNS, monkeypatch, "export")
    app.button[0].click().run()
    assert not app.exception
    assert [c.value for c in app.caption if c.value.startswith("HTML")]


def test_broken_bundles_are_listed_with_what_is_wrong_and_the_rest_still_show(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs = copy_runs(tmp_path)
    (runs / PROTOTYPE / "assessment.json").write_text("{}")
    app = _app(runs, monkeypatch)
    assert app.title[0].value == "Readiness of readiness-microservice-production"
    app.switch_page("pages/bundles.py").run()
    [problem] = app.warning
    assert "is not an assessment" in problem.value


@pytest.mark.parametrize(
    "page", ["overview", "dimensions", "timelines", "roadmap", "compare", "export"]
)
def test_every_page_says_how_to_make_a_run_when_there_is_none(
    page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = _app(tmp_path, monkeypatch, page)
    assert app.info[0].value.startswith(f"No assessed evidence bundle under {tmp_path}")
