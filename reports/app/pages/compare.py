"""Compare: assessments side by side (profiles, architectures, the same system over time)
and the trend of each dimension across the runs of one system."""

import pandas as pd
import streamlit as st

from reports import charts
from reports.app import state

COMPARED = 4
"""Runs compared by default: the newest of each system, at most this many."""

found = state.catalogue()
if len(found.runs) < 1:
    state.require_run()
st.title("Compare")
labels = {run.run_id: f"{run.system}: {run.run_id} ({run.assessment.total})" for run in found.runs}
newest: dict[str, str] = {}
for run in found.runs:  # newest first
    newest.setdefault(run.system, run.run_id)
chosen = st.multiselect("Runs", list(labels), default=list(newest.values())[:COMPARED],
                        format_func=labels.__getitem__)  # fmt: skip
runs = [found.run(run_id) for run_id in chosen]
if len(runs) >= 1:
    assessments = [run.assessment for run in runs]
    st.pyplot(charts.comparison(assessments, [run.system for run in runs]), clear_figure=True)
    table = {"dimension": [d.title for d in assessments[0].dimensions],
             "target": [d.target for d in assessments[0].dimensions]}  # fmt: skip
    for run in runs:
        table[f"{run.system} {run.run_id[:15]}"] = [d.score for d in run.assessment.dimensions]
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
st.subheader("Trend")
systems = found.systems()
system = st.selectbox("System", systems)
history = [run for run in found.runs if run.system == system]
if len(history) < 2:
    st.info(f"{system} has {len(history)} assessed run: a trend needs two or more.")
else:
    st.pyplot(charts.trend([run.assessment for run in history]), clear_figure=True)
    st.dataframe(
        pd.DataFrame([{"run": run.run_id, "total": run.assessment.total,
                       **{d.id: d.score for d in run.assessment.dimensions}}
                      for run in reversed(history)]),
        hide_index=True, width="stretch",
    )  # fmt: skip
