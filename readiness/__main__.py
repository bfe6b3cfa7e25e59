"""`python -m readiness` runs the CLI."""

from readiness.cli import app

app()
