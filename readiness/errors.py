"""The one exception tree of readiness.

Every error the project raises on purpose derives from `ReadinessError`, so a caller (the
CLI, a test, a user's script) can catch the whole family in one place and show its message,
which always names what is wrong::

    ReadinessError
    ├── InvalidInput            bad input from a user: a file, an argument, a record
    │   ├── InvalidDataset      a data file is missing, unreadable, or not the data set expected
    │   ├── InvalidSchema       a feature schema file does not describe a valid schema
    │   ├── InvalidFeatures     a frame or record does not match the feature schema
    │   ├── InvalidApproval     an approval lacks its approver or its reason
    │   ├── InvalidPolicy       a policy (fairness, gate, PII, retention) is malformed or unknown
    │   ├── InvalidConfiguration an environment setting (READINESS_HOME, ...) is unusable
    │   ├── InvalidDescriptor   a target descriptor file is malformed, or lacks what a
    │   │                       scenario needs (an endpoint, a fault hook)
    │   ├── InvalidScenario     a scenario file is malformed or names an unknown activity
    │   └── MissingExtra        a command needs an optional part that is not installed (the
    │                           message names the extra to install)
    ├── PolicyViolation         the input is well formed but a policy forbids the action
    │   ├── ApprovalRefused     a model version fails the fairness policy
    │   ├── PromotionRefused    a model version has no approval record
    │   ├── PruneRefused        the audit store's chains are broken: pruning would destroy
    │   │                       the evidence
    │   └── ModelRefused        a verified release fails its smoke test on an edge device
    ├── OperationFailed         something outside the caller's input failed at run time
    │   ├── RegistryUnavailable the MLflow tracking/registry store cannot be reached
    │   ├── FeatureStoreFailed  Feast could not apply, materialise or retrieve
    │   ├── ExportFailed        an exported model does not reproduce the source model
    │   ├── IntegrityFailed     a model artifact's sha256 differs from its registry record,
    │   │                       or an edge release's signature does not verify
    │   ├── AuditStoreFailed    the audit store (prediction log, lineage, audit trail)
    │   │                       cannot be opened, written or read
    │   ├── MonitorStoreFailed  the monitor store (windows, alerts) cannot be written or read
    │   ├── DeploymentFailed    a reference deployment did not start or become ready (the
    │   │                       message quotes its log)
    │   ├── TargetUnavailable   a scenario's target does not answer on its endpoints
    │   ├── InjectionFailed     a fault hook or the traffic of a scenario failed
    │   ├── FaultUnsupported    a serving backend cannot simulate the fault asked for
    │   ├── AcceleratorFailed   the accelerator path failed; the CPU fallback answers
    │   └── InferenceFailed     every attempt at a prediction failed (the gateway answers 503)
    ├── Problem                 a refusal a reference service answers over HTTP: its status
    │                           and a body that names the field and the problem
    └── Defect                  a bug in readiness itself, never the user's input
        ├── RubricMismatch      the rubric and the probes disagree (raised at import)
        └── UndeclaredEvidence  a probe read evidence its rubric entry does not declare

`InvalidInput` maps to exit code 2 in the CLI, the other families to exit code 1. Every
exception class of the project sits here; a module may keep a private one (`_Name`) for its
own control flow, still under this root (`tests/readiness/test_errors.py` walks them all).
"""

from collections.abc import Mapping, Sequence
from typing import Any


class ReadinessError(Exception):
    """Root of every error raised on purpose by readiness."""


class InvalidInput(ReadinessError):
    """A user-supplied input is malformed; the message names the field and the problem."""


class InvalidDataset(InvalidInput):
    """A data file is missing, corrupt, or does not have the columns expected."""


class InvalidSchema(InvalidInput):
    """A feature schema file does not describe a valid schema."""


class InvalidFeatures(InvalidInput):
    """A frame or record does not match the feature schema (unknown column, bad value)."""


class InvalidApproval(InvalidInput):
    """An approval record is incomplete: it needs who approves and why."""


class InvalidPolicy(InvalidInput):
    """A policy file is malformed."""


class InvalidConfiguration(InvalidInput):
    """An environment setting, such as READINESS_HOME, names something unusable."""


class InvalidDescriptor(InvalidInput):
    """A target descriptor file is malformed."""


class InvalidScenario(InvalidInput):
    """A scenario file is malformed; the message names the file, the path in it and the
    problem."""


class MissingExtra(InvalidInput):
    """A command or an input needs an optional part of readiness that is not installed; the
    message names the extra (`pip install 'readiness[reference]'`). Bad input: the same
    command works once the extra is there."""


class PolicyViolation(ReadinessError):
    """The request is well formed, but a policy forbids it; the message says which rule."""


class ApprovalRefused(PolicyViolation):
    """A model version cannot be approved because it fails the fairness policy."""


class PromotionRefused(PolicyViolation):
    """A model version cannot become champion because it has no approval record."""


class ModelRefused(PolicyViolation):
    """A release verified but its model fails the device's smoke test (canary answers
    differ, it cannot load): it is never swapped in, and the model serving keeps serving."""


class PruneRefused(PolicyViolation):
    """Retention would delete rows of an audit store whose chains do not verify; the
    tampering is investigated first, so its evidence is not pruned away."""


class OperationFailed(ReadinessError):
    """An operation failed for a reason outside the caller's input."""


class RegistryUnavailable(OperationFailed):
    """The MLflow tracking and registry store cannot be reached or opened."""


class FeatureStoreFailed(OperationFailed):
    """Feast failed to apply definitions, materialise, or retrieve features."""


class ExportFailed(OperationFailed):
    """An exported or quantised model does not reproduce its source within tolerance."""


class IntegrityFailed(OperationFailed):
    """A model artifact does not match the sha256 its registry record holds; never served."""


class AuditStoreFailed(OperationFailed):
    """The audit store cannot be opened, written or read. Tampering is not this error: it
    is a finding of `verify`, reported with the table and row where the chain breaks."""


class MonitorStoreFailed(OperationFailed):
    """The monitor store could not be written or read."""


class DeploymentFailed(OperationFailed):
    """A service did not start or did not become ready; the message quotes its log."""


class TargetUnavailable(OperationFailed):
    """The system under test does not answer on an endpoint its descriptor declares."""


class InjectionFailed(OperationFailed):
    """A scenario could not inject its fault or load: a hook answered an error, the traffic
    process died."""


class FaultUnsupported(OperationFailed):
    """This serving backend cannot simulate the fault asked for."""


class AcceleratorFailed(OperationFailed):
    """The accelerator path failed (a device error); the CPU fallback answers instead."""


class InferenceFailed(OperationFailed):
    """Every attempt at a prediction failed; the gateway answers 503."""


class Problem(ReadinessError):
    """A refusal a reference service answers over HTTP: its status, and a body that names
    what is wrong. Raised inside a request handler and turned into an RFC 9457 answer by the
    service's handler, never shown as a traceback."""

    def __init__(
        self,
        status: int,
        detail: object,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
    ):
        super().__init__(str(detail))
        self.status, self.detail, self.headers = status, detail, dict(headers or {})
        self.errors = errors
        """Pydantic's own errors behind a 422 (type, input): what the data-quality monitor
        classifies; never sent to the client beyond `detail`."""


class Defect(ReadinessError):
    """A bug in readiness itself, not the user's input or environment: report it."""


class RubricMismatch(Defect):
    """The rubric and the probes disagree (a duplicate, a probe the rubric does not define,
    evidence no collector provides): raised when the registry is built, at import."""


class UndeclaredEvidence(Defect):
    """A probe read evidence its rubric entry does not declare."""
