"""Reports for people, read from bundles and their assessments only: the evidence behind a
finding (`evidence`), scenario timelines (`timeline`), charts, the report document and its
HTML and PDF exports, and the Streamlit app (`app/`)."""
