"""Dimension drill-down: why this score and not the next. The probes of each level with
their outcomes, and each finding's evidence: what was measured, where, when, by what."""

import streamlit as st

from readiness.bundle import Outcome
from reports.app import state

ICONS = {
    Outcome.PASS: ":green[pass]",
    Outcome.FAIL: ":red[**fail**]",
    Outcome.NOT_AVAILABLE: ":orange[unknown]",
    Outcome.NOT_APPLICABLE: ":gray[n/a]",
    Outcome.ERROR: ":red[**error**]",
}

run = state.require_run()
assessment = run.assessment
titles = {d.id: f"{d.title}: {d.score}/5 (target {d.target})" for d in assessment.dimensions}
first_below = next((i for i, d in enumerate(assessment.dimensions) if d.score < d.target), 0)
chosen = st.selectbox("Dimension", list(titles), index=first_below, format_func=titles.__getitem__)
dimension = assessment.dimension(chosen)
st.title(titles[chosen])
st.markdown(f"*{dimension.question}*")
(st.success if dimension.score >= dimension.target else st.warning)(dimension.explanation)
if dimension.capped_by_attestation:
    st.info("Capped at 4: some of its evidence is a person's attestation, not an observation.")
index = state.evidence(str(run.path), run.run_id, run.started)
for level in sorted({f.level for f in dimension.findings}):
    findings = sorted((f for f in dimension.findings if f.level == level), key=lambda f: f.probe)
    passed = sum(f.outcome is Outcome.PASS for f in findings)
    reached = "reached" if level <= dimension.score else "not reached"
    st.subheader(f"Level {level}: {passed} of {len(findings)} probes pass ({reached})")
    for finding in findings:
        attested = " (attested)" if finding.attested else ""
        with st.expander(f"{finding.probe}: {finding.outcome}{attested}"):
            st.markdown(f"{ICONS[finding.outcome]} **{finding.question}**")
            st.write(finding.detail)
            for evidence_id in finding.evidence:
                view = index.get(evidence_id)
                if view is None:
                    st.markdown(f"- `{evidence_id}`: not in this bundle")
                    continue
                st.markdown(
                    f"- `{view.id}` **{view.what}**: {view.status}: `{view.value}`"
                    + (f" ({view.detail})" if view.detail else "")
                    + f"  \n  where: `{view.where}`; when: {view.when}; by: {view.by}"
                )
            remedy = finding.remediation
            if finding.outcome is not Outcome.PASS:
                st.markdown(
                    f"**To fix** (effort {remedy.effort}): {remedy.text}  \n"
                    f"done right in `{remedy.reference}`"
                )
