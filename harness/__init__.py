"""harness (arrives with its issue)."""
