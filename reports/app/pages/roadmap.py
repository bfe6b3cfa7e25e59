"""The roadmap: the 30/60/90-day plan, with the score each step would raise, as a timeline
chart and a table."""

import pandas as pd
import streamlit as st

from reports import charts
from reports.app import state
from reports.document import roadmap_rows

run = state.require_run()
assessment = run.assessment
st.title("Roadmap")
if not assessment.roadmap:
    st.success("Every dimension meets its target: nothing to plan.")
    st.stop()
buckets = st.columns(3)
for column, days in zip(buckets, (30, 60, 90), strict=True):
    steps = [s for s in assessment.roadmap if s.days == days]
    after = steps[-1].total_after if steps else None
    column.metric(f"{days} days", f"{len(steps)} steps", f"total {after}" if after else None)
st.pyplot(charts.roadmap(assessment), clear_figure=True)
columns = [
    "#",
    "days",
    "dimension",
    "probe",
    "what to do",
    "effort",
    "done right in",
    "total after",
]
st.dataframe(pd.DataFrame(roadmap_rows(assessment), columns=columns), hide_index=True,
             width="stretch")  # fmt: skip
