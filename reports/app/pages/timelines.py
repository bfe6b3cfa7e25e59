"""Scenario timelines: what the target did over time, where the fault was injected, where
each alert fired, where the rollback or recovery happened, and the measured delays."""

import pandas as pd
import streamlit as st

from reports import charts
from reports.app import state
from reports.document import measured_rows
from reports.timeline import marker_caption

run = state.require_run()
st.title("Scenario timelines")
found = state.timelines(str(run.path), run.run_id, run.started)
if not found:
    st.info("No scenario ran in this bundle (`readiness run --no-scenarios`, or it was refused).")
    st.stop()
names = {t.name: f"{t.title} ({t.status})" for t in found}
chosen = st.selectbox("Scenario", list(names), format_func=names.__getitem__)
timeline = next(t for t in found if t.name == chosen)
delays = st.columns(max(len(timeline.delays), 1))
for column, marker in zip(delays, timeline.delays, strict=False):
    column.metric(str(marker.kind), marker.label.split(":")[0].removeprefix("after "))
if timeline.measured:
    columns = ["expectation", "measured", "tolerance", "outcome"]
    st.dataframe(pd.DataFrame(measured_rows(timeline), columns=columns), hide_index=True,
                 width="stretch")  # fmt: skip
if timeline.firing_at_start:
    st.caption(f"Already firing when it began: {', '.join(timeline.firing_at_start)}")
if timeline.missing:
    st.caption(f"No samples for: {', '.join(timeline.missing)}")
if timeline.panels:
    st.pyplot(charts.timeline(timeline), clear_figure=True)
    st.markdown("\n".join(f"- {line}" for line in marker_caption(timeline)))
