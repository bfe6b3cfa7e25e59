"""Overview: the total, the ten dimensions against their targets, the policy's verdict and
what was assessed."""

import pandas as pd
import streamlit as st

from assessment.gate import gate
from reports import charts
from reports.app import state
from reports.document import scorecard_rows, subject_line
from reports.evidence import served_line

run = state.require_run()
assessment = run.assessment
subject = assessment.subject
st.title(f"Readiness of {subject.name}")
total, targets, below, status = st.columns(4)
total.metric("Total", f"{assessment.total}/{assessment.max_total}")
targets.metric("Targets total", assessment.targets_total)
below.metric("Dimensions below target", sum(d.score < d.target for d in assessment.dimensions))
status.metric("Run", subject.run_status)
policy = state.chosen_policy()
if policy is not None:
    result = gate(assessment, policy)
    message = f"Policy {result.policy}: {'passes' if result.passed else 'fails'}"
    (st.success if result.passed else st.error)(message)
    listed = {"Violations": result.violations, "Warnings": result.warnings,
              "Waived": result.waived, "Expired exemptions": result.expired}  # fmt: skip
    for title, items in listed.items():
        if items:
            st.markdown(f"**{title}**\n" + "\n".join(f"- {item}" for item in items))
index = state.evidence(str(run.path), run.run_id, run.started)
st.caption(f"{subject_line(assessment)} {served_line(index)}")
seal = state.seal(str(run.path), run.run_id, run.started)
(st.error if "BROKEN" in seal else st.caption)(seal)
st.subheader("Scorecard")
st.pyplot(charts.scorecard(assessment), clear_figure=True)
columns = ["dimension", "score", "target", "why not higher"]
st.dataframe(pd.DataFrame(scorecard_rows(assessment), columns=columns), hide_index=True,
             width="stretch")  # fmt: skip
