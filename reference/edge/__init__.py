"""Reference architecture: edge (arrives with its issue)."""
