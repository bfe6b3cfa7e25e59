"""The reference systems under test (`microservice`, `event_driven`, `edge`), started and
stopped alike through `deployments`, and the platform library they share (`platform`).
They are systems like a user's: the harness and the assessment reach them only through
the descriptors they write."""
