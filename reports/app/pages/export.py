"""Export: the selected run as a self-contained HTML report and as a PDF of the same
content, for a client meeting."""

import streamlit as st

from reports.app import state
from reports.document import build, default_name
from reports.exports import html, pdf

run = state.require_run()
st.title("Export")
st.write(
    "The report holds the overview, every dimension with its findings and evidence, the "
    "scenario timelines and the roadmap, judged against the policy chosen in the sidebar."
)
policy = state.chosen_policy()
if st.button("Prepare the reports", type="primary"):
    with st.spinner("drawing the charts ..."):
        blocks = build(run, policy)
        st.session_state["export"] = (
            run.run_id,
            html.render(blocks),
            pdf.render(blocks, run.started),
        )
prepared = st.session_state.get("export")
if prepared and prepared[0] == run.run_id:
    _, page, document = prepared
    st.download_button("Download HTML", page, file_name=str(default_name(run, ".html")),
                       mime="text/html")  # fmt: skip
    st.download_button("Download PDF", document, file_name=str(default_name(run, ".pdf")),
                       mime="application/pdf")  # fmt: skip
    st.caption(f"HTML {len(page) / 1e6:.1f} MB, PDF {len(document) / 1e6:.1f} MB")
