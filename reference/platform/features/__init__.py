"""The Feast feature repository of applicant features, and point-in-time training sets."""
