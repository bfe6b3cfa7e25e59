"""The app's entry script (`streamlit run reports/app/main.py`, as `readiness dashboard`
does): the pages, and the sidebar's choices (run, policy) that every page reads.

The navigation is declared before the sidebar's widgets: with widgets created before
`st.navigation`, Streamlit 1.67 dropped a choice made in the sidebar on the rerun it
caused (seen in the browser test)."""

import streamlit as st

from readiness.resources import shipped
from reports.app import state
from reports.evidence import when

PAGES = shipped("reports.app", "pages")

st.set_page_config(page_title="readiness", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "overview.py", title="Overview", default=True),
        st.Page(PAGES / "dimensions.py", title="Dimensions"),
        st.Page(PAGES / "timelines.py", title="Scenario timelines"),
        st.Page(PAGES / "roadmap.py", title="Roadmap"),
        st.Page(PAGES / "compare.py", title="Compare"),
        st.Page(PAGES / "export.py", title="Export"),
        st.Page(PAGES / "bundles.py", title="Bundles"),
    ]
)
found = state.catalogue()
st.sidebar.title("readiness")
if found.runs:
    labels = {run.run_id: f"{run.system} {run.assessment.total}/50, {when(run.started)[:16]}"
              for run in found.runs}  # fmt: skip
    st.sidebar.selectbox("Run", list(labels), format_func=labels.__getitem__, key=state.RUN_KEY)
st.sidebar.selectbox(
    "Policy", [*state.SHIPPED_POLICIES, state.NO_POLICY], key=state.POLICY_KEY,
    help="The gate policy the overview and the reports judge the run against.",
)  # fmt: skip
st.sidebar.text_input(
    "or a policy file", key=state.POLICY_FILE_KEY, placeholder="path/to/policy.yaml"
)
st.sidebar.caption(
    f"{len(found.runs)} assessed bundles under {found.root}"
    + (f"; {len(found.problems)} cannot be shown" if found.problems else "")
)
navigation.run()
