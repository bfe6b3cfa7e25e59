"""Sending: the access-control checks, the burst, the fuzz campaign, and
`run_security_probes`, which runs them all."""

import itertools
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import numpy as np

from harness.security.generation import FuzzCase, FuzzPlan, drive_cases
from harness.security.plans import system_plan
from harness.security.report import (
    ADMIN_NO_CREDENTIALS,
    ADMIN_USER_KEY,
    BURST,
    DEFAULT_MAX_BATCH,
    JSON,
    MAX_EXAMPLES,
    NO_CREDENTIALS,
    UNENTITLED_MODEL,
    WRONG_KEY,
    FuzzCampaign,
    FuzzExample,
    ProbeRequest,
    SecurityCheck,
    SecurityReport,
)
from harness.system.loading import System
from harness.target import Target
from readiness.bundle import Outcome

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
BURST_TIMEOUT = httpx.Timeout(15.0, connect=2.0)
BURST_CONCURRENCY = 8
EXCERPT_CHARS = 300
OTHER_MODEL = "readiness-probe-unentitled-model"


def _excerpt(content: bytes | str) -> str:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return text if len(text) <= EXCERPT_CHARS else f"{text[:EXCERPT_CHARS]}..."


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:EXCERPT_CHARS]


@dataclass
class _Tally:
    statuses: Counter[int]
    by_mutation: dict[str, Counter[int]]
    valid: int = 0
    accepted_invalid: int = 0
    server_errors: int = 0
    transport_errors: int = 0

    def __post_init__(self) -> None:
        self.examples: dict[str, list[FuzzExample]] = {
            "accepted": [],
            "server": [],
            "transport": [],
        }

    def keep(self, kind: str, example: FuzzExample) -> None:
        """Up to MAX_EXAMPLES distinct examples, as many mutations among them as possible."""
        kept = self.examples[kind]
        if any(
            (e.mutation, e.description) == (example.mutation, example.description) for e in kept
        ):
            return
        if len(kept) < MAX_EXAMPLES:
            kept.append(example)
            return
        mutations = Counter(e.mutation for e in kept)
        if example.mutation not in mutations:
            repeated = [i for i, e in enumerate(kept) if mutations[e.mutation] > 1]
            if repeated:
                kept[repeated[-1]] = example


def run_fuzz_campaign(
    target: Target, plan: FuzzPlan, count: int, seed: int, client: httpx.Client
) -> FuzzCampaign:
    """Send `count` generated cases to the predict endpoint with the user key, then ask the
    health endpoint whether the target survived.

    Each case goes on a connection of its own (`connection: close`): a server may close a
    kept-alive connection after a 500, and the next case sent on it would then be counted
    as a transport error it did not cause."""
    url, key_headers = target.url("predict"), target.headers()
    tally = _Tally(Counter(), {})
    started = time.perf_counter()

    def send(case: FuzzCase) -> None:
        example = FuzzExample(
            mutation=case.mutation, description=case.description, body=_excerpt(case.content),
            body_bytes=len(case.content), content_type=case.content_type,
        )  # fmt: skip
        counts = tally.by_mutation.setdefault(case.mutation, Counter())
        tally.valid += case.valid
        try:
            headers = {**key_headers, "content-type": case.content_type, "connection": "close"}
            answer = client.post(url, content=case.content, headers=headers)
        except httpx.TransportError as error:
            tally.transport_errors += 1
            counts[0] += 1
            tally.keep("transport", example.model_copy(update={"answer": _error_text(error)}))
            return
        status = answer.status_code
        tally.statuses[status] += 1
        counts[status] += 1
        example = example.model_copy(update={"status": status, "answer": _excerpt(answer.text)})
        if status >= 500:
            tally.server_errors += 1
            tally.keep("server", example)
        elif 200 <= status < 300 and not case.valid:
            tally.accepted_invalid += 1
            tally.keep("accepted", example)

    drive_cases(plan, count, seed, send)
    health = _status(client, "GET", target.url("health"), key_headers)
    healthy = health is not None and 200 <= health < 300
    clean = tally.server_errors == tally.transport_errors == tally.accepted_invalid == 0
    return FuzzCampaign(
        seed=seed, schema_source=plan.source, requests=sum(tally.statuses.values())
        + tally.transport_errors, status_counts=dict(sorted(tally.statuses.items())),
        by_mutation={m: dict(sorted(c.items())) for m, c in sorted(tally.by_mutation.items())},
        valid_bodies=tally.valid, accepted_invalid=tally.accepted_invalid,
        accepted_invalid_examples=tally.examples["accepted"], server_errors=tally.server_errors,
        server_error_examples=tally.examples["server"], transport_errors=tally.transport_errors,
        transport_error_examples=tally.examples["transport"], health_after=health,
        duration_s=round(time.perf_counter() - started, 3),
        outcome=Outcome.PASS if clean and healthy else Outcome.FAIL,
    )  # fmt: skip


def _status(
    client: httpx.Client, method: str, url: str, headers: Mapping[str, str], body: Any = None
) -> int | None:
    try:
        return client.request(method, url, json=body, headers=dict(headers)).status_code
    except httpx.TransportError:
        return None


@dataclass(frozen=True)
class _Probe:
    """One request a named check makes, and what it expects."""

    name: str
    method: str
    endpoint: str
    description: str
    expected: frozenset[int]

    def request(self) -> ProbeRequest:
        return ProbeRequest(
            method=self.method, endpoint=self.endpoint, description=self.description
        )

    def skipped(self, outcome: Outcome, why: str, observed: int | None = None) -> SecurityCheck:
        return SecurityCheck(
            name=self.name, request=self.request(), expected=self.expected, observed=observed,
            outcome=outcome, requests_sent=int(observed is not None), detail=why,
        )  # fmt: skip

    def send(
        self, client: httpx.Client, url: str, headers: Mapping[str, str], body: Any = None
    ) -> SecurityCheck:
        started = time.perf_counter()
        try:
            answer = client.request(self.method, url, json=body, headers=dict(headers))
        except httpx.TransportError as error:
            return self.skipped(Outcome.ERROR, f"no answer: {_error_text(error)}").model_copy(
                update={"requests_sent": 1, "duration_s": time.perf_counter() - started}
            )
        passed = answer.status_code in self.expected
        return SecurityCheck(
            name=self.name, request=self.request(), expected=self.expected,
            observed=answer.status_code, outcome=Outcome.PASS if passed else Outcome.FAIL,
            requests_sent=1, duration_s=round(time.perf_counter() - started, 3),
            detail="" if passed else f"answered {answer.status_code}: {_excerpt(answer.text)}",
        )  # fmt: skip


def _credential_checks(
    target: Target, client: httpx.Client, body: dict[str, Any]
) -> tuple[list[SecurityCheck], list[str]]:
    """The predict and admin checks; notes on what an unprotected target accepted."""
    credentials = target.descriptor.credentials
    declared = credentials.api_key_env is not None
    key = target.key("api")
    predict = target.url("predict")
    notes: list[str] = []
    missing = _Probe(NO_CREDENTIALS, "POST", "predict",
                     "a valid one-instance body without an API key", frozenset({401}))  # fmt: skip
    wrong = _Probe(WRONG_KEY, "POST", "predict",
                   "a valid one-instance body with the user key's last character changed",
                   frozenset({401}))  # fmt: skip
    other = _Probe(UNENTITLED_MODEL, "POST", "predict",
                   f"a valid body to the predict URL of model '{OTHER_MODEL}' with the user key",
                   frozenset({403}))  # fmt: skip
    checks: list[SecurityCheck] = []
    if not declared:
        observed = _status(client, "POST", predict, {}, body)
        why = "the descriptor declares no credentials"
        if observed is not None and 200 <= observed < 300:
            notes.append(f"the target answered an unauthenticated predict request {observed}")
            why += f"; the target answered a predict without any key {observed}"
        checks.append(missing.skipped(Outcome.NOT_APPLICABLE, why, observed))
        checks.append(
            wrong.skipped(Outcome.NOT_APPLICABLE, "the descriptor declares no credentials")
        )
        checks.append(other.skipped(Outcome.NOT_APPLICABLE,
                                    "the descriptor declares no credentials: no tenant has "
                                    "entitlements"))  # fmt: skip
    else:
        checks.append(missing.send(client, predict, {}, body))
        if key is None:
            unread = f"the user key {credentials.api_key_env} is not set"
            checks.append(wrong.skipped(Outcome.NOT_AVAILABLE, unread))
            checks.append(other.skipped(Outcome.NOT_AVAILABLE, unread))
        else:
            altered = key[:-1] + ("A" if key[-1] != "A" else "B")
            checks.append(wrong.send(client, predict, target.key_headers(altered), body))
            template = target.descriptor.endpoints.predict
            if "{model}" not in template:
                why = "the predict URL names no model"
                checks.append(other.skipped(Outcome.NOT_APPLICABLE, why))
            else:
                url = template.replace("{model}", OTHER_MODEL)
                checks.append(other.send(client, url, target.headers(), body))
    checks.extend(_admin_checks(target, client))
    return checks, notes


def _admin_checks(target: Target, client: httpx.Client) -> list[SecurityCheck]:
    without = _Probe(ADMIN_NO_CREDENTIALS, "GET", "admin", "GET {admin}/deployments without a key",
                     frozenset({401}))  # fmt: skip
    user = _Probe(ADMIN_USER_KEY, "GET", "admin", "GET {admin}/deployments with the user key",
                  frozenset({403}))  # fmt: skip
    if not target.has("admin"):
        why = "the descriptor declares no admin endpoint"
        return [
            without.skipped(Outcome.NOT_APPLICABLE, why),
            user.skipped(Outcome.NOT_APPLICABLE, why),
        ]
    url = f"{target.url('admin').rstrip('/')}/deployments"
    if target.descriptor.credentials.api_key_env is None:
        why = "the descriptor declares no credentials"
        return [
            without.skipped(Outcome.NOT_APPLICABLE, why),
            user.skipped(Outcome.NOT_APPLICABLE, why),
        ]
    checks = [without.send(client, url, {})]
    if target.key("api") is None:
        checks.append(user.skipped(Outcome.NOT_AVAILABLE, "the user key is not set"))
    else:
        checks.append(user.send(client, url, target.headers()))
    return checks


def _valid_retry_after(value: str | None) -> bool:
    """delta-seconds or an HTTP date (RFC 9110)."""
    if value is None:
        return False
    if value.strip().isdigit():
        return True
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return True


def burst_check(
    target: Target, bodies: Sequence[bytes], *, batch: int, limit: int
) -> SecurityCheck:
    """Concurrent predicts of `batch` instances with the user key, in waves of
    BURST_CONCURRENCY, until a 429 arrives or `limit` requests were sent.

    The bodies are the system's own rows in its protocol, so the burst's accepted part
    looks like ordinary traffic to the target's monitors."""
    turn = itertools.count()  # next() on a count is atomic under the GIL
    probe = _Probe(BURST, "POST", "predict",
                   f"up to {limit} predicts of {batch} instances, {BURST_CONCURRENCY} at a time",
                   frozenset({429}))  # fmt: skip
    headers = {**target.headers(), "content-type": JSON}
    url = target.url("predict")
    statuses: Counter[str] = Counter()
    first: tuple[int, str | None] | None = None
    sent = answered = 0
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=BURST_CONCURRENCY)
    with httpx.Client(timeout=BURST_TIMEOUT, limits=limits) as client:

        def post() -> tuple[int | None, str | None, str]:
            try:
                answer = client.post(url, content=bodies[next(turn) % len(bodies)],
                                     headers=headers)  # fmt: skip
            except httpx.TransportError as error:
                return None, None, _error_text(error)
            return answer.status_code, answer.headers.get("retry-after"), ""

        with ThreadPoolExecutor(BURST_CONCURRENCY) as pool:
            while sent < limit and first is None:
                wave = [pool.submit(post) for _ in range(min(BURST_CONCURRENCY, limit - sent))]
                sent += len(wave)
                for future in as_completed(wave):
                    status, retry_after, _ = future.result()
                    answered += 1
                    statuses[str(status) if status is not None else "no answer"] += 1
                    if status == 429 and first is None:
                        first = (answered, retry_after)
    counts = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    duration = round(time.perf_counter() - started, 3)
    if first is None:
        return probe.skipped(Outcome.FAIL, f"no 429 after {sent} requests ({counts})").model_copy(
            update={"requests_sent": sent, "duration_s": duration,
                    "observed": _most_common_status(statuses)}
        )  # fmt: skip
    position, retry_after = first
    valid = _valid_retry_after(retry_after)
    detail = f"first 429 was answer {position} of {sent} sent ({counts})"
    if not valid:
        detail += f"; Retry-After {retry_after!r} is not delta-seconds or an HTTP date"
    return SecurityCheck(
        name=BURST, request=probe.request(), expected=probe.expected, observed=429,
        outcome=Outcome.PASS if valid else Outcome.FAIL, retry_after=retry_after,
        requests_sent=sent, duration_s=duration, detail=detail,
    )  # fmt: skip


def _most_common_status(statuses: Counter[str]) -> int | None:
    numbers = [(n, s) for s, n in statuses.items() if s.isdigit()]
    return int(max(numbers)[1]) if numbers else None


def burst_bodies(
    system: System, batch: int, seed: int, count: int = BURST_CONCURRENCY
) -> list[bytes]:
    """`count` bodies of `batch` of the system's rows each, in the system's protocol, from a
    place in its rows that `seed` chooses."""
    rows = len(system.traffic) or 1
    start = int(np.random.default_rng(seed).integers(rows))
    return [system.adapter.encode(system.instances(batch, start + n * batch)) for n in range(count)]


def run_security_probes(
    system: System,
    *,
    fuzz_requests: int = 200,
    seed: int = 0,
    burst_limit: int = 50,
) -> SecurityReport:
    """Probe the system's access control, rate limit and input validation; see the module
    docstring for the checks. Every body is built from the system's own rows in its own
    protocol (canaries in its personal-data columns)."""
    target = system.target
    target.check_up()
    started_at, started = datetime.now(UTC), time.perf_counter()
    with httpx.Client(timeout=TIMEOUT) as client:
        plan = system_plan(system, client)
        one = system.adapter.body(system.instances(1))
        checks, notes = _credential_checks(target, client, one)
        fuzz = run_fuzz_campaign(target, plan, fuzz_requests, seed, client)
    batch = min(plan.max_items or DEFAULT_MAX_BATCH, DEFAULT_MAX_BATCH)
    checks.append(burst_check(target, burst_bodies(system, batch, seed), batch=batch,
                              limit=burst_limit))  # fmt: skip
    if fuzz.accepted_invalid:
        notes.append(f"the target answered 2xx to {fuzz.accepted_invalid} bodies that break "
                     "its own request schema")  # fmt: skip
    if fuzz.server_errors or fuzz.transport_errors:
        notes.append(f"the fuzz campaign met {fuzz.server_errors} server errors and "
                     f"{fuzz.transport_errors} transport errors")  # fmt: skip
    return SecurityReport(
        target=target.descriptor.name, digest=target.digest, started=started_at,
        duration_s=round(time.perf_counter() - started, 3), checks=checks, fuzz=fuzz,
        notes=notes,
    )  # fmt: skip
