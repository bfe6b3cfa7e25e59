"""Security probes: what a target does with callers it should refuse, and with bad input.

The package: `report` (the evidence models), `schema` (the predict request schema from
OpenAPI, and conformance), `generation` (malformed bodies with hypothesis), `probes`
(sending the checks, the burst and the campaign).

`run_security_probes(system)` reaches the system only through its `Target` (descriptor URLs
and keys), with bodies built from its own rows in its own protocol (`harness.system`), and
returns a `SecurityReport`: evidence, not a score. It records

- named checks, each with the request made (method, endpoint name, what was sent, never
  the key itself), the statuses expected, the status observed and its outcome:

  ====================================== ===================================================
  ``predict_refuses_missing_credentials`` a valid predict without a key -> 401
  ``predict_refuses_wrong_key``           a valid predict with the user key altered -> 401
  ``predict_refuses_unentitled_model``    the user key on another model's predict URL -> 403
  ``admin_refuses_missing_credentials``   GET {admin}/deployments without a key -> 401
  ``admin_refuses_user_key``              GET {admin}/deployments with the user key -> 403
  ``burst_gets_429_with_retry_after``     full batches sent concurrently until a 429 that
                                          carries a valid Retry-After
  ====================================== ===================================================

  The credential checks are not applicable where the descriptor declares no credentials
  (the report then notes whether the target answered an unauthenticated predict with a
  2xx); the admin checks where it declares no `admin` endpoint.

  For the entitlement check only 403 passes. The probe's model name does not exist, so a
  404 says the gateway looked the model up before it checked the caller's entitlement: it
  tells any tenant which models exist, and a gateway with no entitlements at all answers
  the same 404, so it proves nothing about access control.

- a fuzz campaign of generated malformed predict requests (`fuzz_cases`): the system's own
  valid bodies, broken one way each (`MUTATIONS`) with hypothesis. Every body is judged
  against the request schema before it is sent (the predict operation's OpenAPI body,
  $refs followed, where the schema came from OpenAPI; else the instance schema,
  `harness.security.plans`), so a 2xx is a finding only for a body that breaks it.
  Content types are not judged: a valid JSON body under a wrong content type may be
  answered. The campaign passes with no
  5xx, no transport error (connection refused or reset, timeout: a crash or a hang), no 2xx
  for an invalid body, and the health endpoint answering 2xx afterwards.

The burst runs last: it leaves the tenant's token bucket empty for a moment, and with ours
the campaign's refusals are real bad traffic that the monitors act on (a schema-change alert
pauses batch predictions about a window later). Run the probes on a deployment meant for
them, once. Only `TargetUnavailable` is raised, when the target is down before any probe.
"""

from harness.events import Outcome
from harness.security.generation import (
    MUTATIONS,
    FuzzCase,
    FuzzPlan,
    example_instance,
    fallback_plan,
    fuzz_cases,
    generate_fuzz_cases,
    plan_from_openapi,
)
from harness.security.plans import system_plan
from harness.security.probes import burst_check, run_fuzz_campaign, run_security_probes
from harness.security.report import (
    ADMIN_NO_CREDENTIALS,
    ADMIN_USER_KEY,
    BURST,
    CHECKS,
    NO_CREDENTIALS,
    UNENTITLED_MODEL,
    WRONG_KEY,
    FuzzCampaign,
    FuzzExample,
    ProbeRequest,
    SecurityCheck,
    SecurityReport,
)
from harness.system.requests import body_conforms, conforms, predict_schema

__all__ = [
    "ADMIN_NO_CREDENTIALS",
    "ADMIN_USER_KEY",
    "BURST",
    "CHECKS",
    "MUTATIONS",
    "NO_CREDENTIALS",
    "UNENTITLED_MODEL",
    "WRONG_KEY",
    "FuzzCampaign",
    "FuzzCase",
    "FuzzExample",
    "FuzzPlan",
    "Outcome",
    "ProbeRequest",
    "SecurityCheck",
    "SecurityReport",
    "body_conforms",
    "burst_check",
    "conforms",
    "example_instance",
    "fallback_plan",
    "fuzz_cases",
    "generate_fuzz_cases",
    "plan_from_openapi",
    "predict_schema",
    "run_fuzz_campaign",
    "run_security_probes",
    "system_plan",
]
