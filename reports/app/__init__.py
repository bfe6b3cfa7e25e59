"""The Streamlit app: `readiness dashboard` runs `main.py`; each page is a script in
`pages/` that draws one view of the selected run from the catalogue."""
