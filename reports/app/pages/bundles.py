"""Bundles: every run found under the runs folder, and the bundles that cannot be shown,
each with what is wrong."""

import pandas as pd
import streamlit as st

from reports.app import state
from reports.evidence import when

found = state.catalogue()
st.title("Bundles")
st.caption(f"Under {found.root}")
if found.runs:
    st.dataframe(
        pd.DataFrame([{"run": run.run_id, "system": run.system, "total": run.assessment.total,
                       "status": run.manifest.status, "started": when(run.started),
                       "path": str(run.path)} for run in found.runs]),
        hide_index=True, width="stretch",
    )  # fmt: skip
else:
    st.info("No assessed bundle here.")
if found.problems:
    st.subheader(f"{len(found.problems)} cannot be shown")
    for problem in found.problems:
        st.warning(f"**{problem.path}**: {problem.problem}")
