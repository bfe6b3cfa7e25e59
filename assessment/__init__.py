"""assessment (arrives with its issue)."""
