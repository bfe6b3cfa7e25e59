"""The reference systems under test, and the platform library they share."""
