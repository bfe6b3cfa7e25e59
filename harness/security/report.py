"""The security report: named checks and the fuzz campaign's totals, as evidence."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from readiness.bundle import Outcome

DEFAULT_MAX_BATCH = 256
"""The largest batch sent in a burst when the schema states no maxItems."""
MAX_EXAMPLES = 5
JSON = "application/json"


NO_CREDENTIALS = "predict_refuses_missing_credentials"
WRONG_KEY = "predict_refuses_wrong_key"
UNENTITLED_MODEL = "predict_refuses_unentitled_model"
ADMIN_NO_CREDENTIALS = "admin_refuses_missing_credentials"
ADMIN_USER_KEY = "admin_refuses_user_key"
BURST = "burst_gets_429_with_retry_after"
CHECKS = (NO_CREDENTIALS, WRONG_KEY, UNENTITLED_MODEL, ADMIN_NO_CREDENTIALS, ADMIN_USER_KEY, BURST)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProbeRequest(_Frozen):
    method: str
    endpoint: str
    """The descriptor's name for the endpoint (predict, admin, ...)."""
    description: str


class SecurityCheck(_Frozen):
    name: str
    request: ProbeRequest
    expected: frozenset[int]
    observed: int | None = None
    """The status answered; None when nothing was sent or no answer came."""
    outcome: Outcome
    retry_after: str | None = None
    requests_sent: int = 0
    duration_s: float = 0.0
    detail: str = ""
    """Why it failed, was not applicable or could not be run; what the burst took."""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS


class FuzzExample(_Frozen):
    mutation: str
    description: str
    body: str
    """The request body's first characters (undecodable bytes replaced)."""
    body_bytes: int
    content_type: str
    status: int | None = None
    answer: str = ""
    """The response body's first characters, or the transport error."""


class FuzzCampaign(_Frozen):
    seed: int
    schema_source: str
    """'openapi', or 'fallback: <why>' when bodies were mutated from a valid instance."""
    requests: int
    status_counts: dict[int, int]
    by_mutation: dict[str, dict[int, int]]
    """Statuses answered per mutation; transport errors are counted under 0."""
    valid_bodies: int
    """Bodies that conform to the schema (a 2xx is fine for them)."""
    accepted_invalid: int
    accepted_invalid_examples: list[FuzzExample] = Field(max_length=MAX_EXAMPLES)
    server_errors: int
    server_error_examples: list[FuzzExample] = Field(max_length=MAX_EXAMPLES)
    transport_errors: int
    transport_error_examples: list[FuzzExample] = Field(max_length=MAX_EXAMPLES)
    health_after: int | None
    """The health endpoint's status after the campaign; None when it did not answer."""
    duration_s: float
    outcome: Outcome

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS


class SecurityReport(_Frozen):
    target: str
    digest: str
    started: datetime
    duration_s: float
    checks: list[SecurityCheck]
    fuzz: FuzzCampaign
    notes: list[str] = []

    def check(self, name: str) -> SecurityCheck:
        found = [c for c in self.checks if c.name == name]
        if not found:
            raise KeyError(f"no security check '{name}' (checks: {', '.join(CHECKS)})")
        return found[0]

    @property
    def passed(self) -> bool:
        """Every check passed or does not apply, and the fuzz campaign passed."""
        fine = {Outcome.PASS, Outcome.NOT_APPLICABLE}
        return all(c.outcome in fine for c in self.checks) and self.fuzz.passed
