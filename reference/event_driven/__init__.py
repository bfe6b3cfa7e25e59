"""Reference architecture: event_driven (arrives with its issue)."""
