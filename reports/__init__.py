"""reports (arrives with its issue)."""
