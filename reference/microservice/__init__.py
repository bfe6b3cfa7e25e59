"""Reference architecture: microservice (arrives with its issue)."""
