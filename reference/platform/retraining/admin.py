"""A deployment's admin API as the retraining uses it: routing, shadow comparisons, promote.

Reached only through the target descriptor, as the harness and the monitors reach it: the
admin endpoint, and the admin key from the environment variable the descriptor names (or
from the credentials file it points to). The retraining never touches the service's
internals, so the control plane's own rules (shadow needs no approval; promotion needs one
and a matching artifact hash) and its deployment log apply to it as to any operator.
"""

import os
from pathlib import Path
from typing import Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from readiness.descriptor import TargetDescriptor
from readiness.errors import InvalidDescriptor, OperationFailed, PromotionRefused
from reference.platform.audit.prediction_log import ShadowComparison
from reference.platform.retraining.policy import SHADOW_LIMIT


class RoutingTable(BaseModel):
    """The routing of one model; what `PUT .../routing` takes, and `GET` shows."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    champion: str = Field(exclude=True)
    """Read only: the champion moves by promotion, never by routing."""
    challenger: str | None = None
    canary_weight: float = 0.0
    shadow: bool = False
    pins: dict[str, str] = {}


class DeploymentAdmin(Protocol):
    model: str

    def routing(self) -> RoutingTable: ...

    def route(self, table: RoutingTable) -> None: ...

    def shadow_comparisons(self) -> list[ShadowComparison]:
        """The most recent comparisons, newest first, at most `SHADOW_LIMIT`."""
        ...

    def promote(self, version: str, reason: str) -> None: ...


class HttpDeploymentAdmin:
    def __init__(self, base_url: str, api_key: str, model: str, timeout_s: float = 60.0) -> None:
        """`base_url`: the admin routes of `model`, e.g. `http://host/v1/admin/models/m`.
        The timeout is long because a route or a promotion starts replicas first."""
        self.model, self.base_url = model, base_url.rstrip("/")
        self.client = httpx.Client(headers={"x-api-key": api_key}, timeout=timeout_s)

    def routing(self) -> RoutingTable:
        return RoutingTable.model_validate(self._call("GET", "/routing").json())

    def route(self, table: RoutingTable) -> None:
        self._call("PUT", "/routing", table.model_dump(mode="json"))

    def shadow_comparisons(self) -> list[ShadowComparison]:
        found = self._call("GET", f"/shadow?limit={SHADOW_LIMIT}").json()
        return [ShadowComparison.model_validate(item) for item in found]

    def promote(self, version: str, reason: str) -> None:
        self._call("POST", "/promote", {"version": version, "reason": reason[:500]})

    def _call(self, method: str, path: str, body: object = None) -> httpx.Response:
        where = f"{method} {self.base_url}{path}"
        try:
            answer = self.client.request(method, self.base_url + path, json=body)
        except httpx.HTTPError as error:
            raise OperationFailed(f"deployment admin API {where} failed: {error}") from error
        if answer.status_code == 409:
            raise PromotionRefused(f"the deployment refused {where}: {_problem(answer)}")
        if answer.is_error:
            raise OperationFailed(
                f"deployment admin API {where} answered {answer.status_code}: {_problem(answer)}"
            )
        return answer


def admin_from_descriptor(descriptor: TargetDescriptor, model: str) -> HttpDeploymentAdmin:
    """The admin API of `model` on the target, or `InvalidDescriptor` saying what is missing."""
    template = descriptor.endpoints.admin
    if not template:
        raise InvalidDescriptor(
            f"target '{descriptor.name}' names no admin endpoint; shadow mode and promotion "
            "need one"
        )
    variable = descriptor.credentials.admin_key_env
    if not variable:
        raise InvalidDescriptor(f"target '{descriptor.name}' names no admin_key_env")
    key = os.environ.get(variable) or _from_env_file(descriptor.credentials.env_file, variable)
    if not key:
        raise InvalidDescriptor(
            f"target '{descriptor.name}': the admin key variable {variable} is not set"
            + (" and its credentials file does not hold it" if descriptor.credentials.env_file
               else "")
        )  # fmt: skip
    return HttpDeploymentAdmin(template.replace("{model}", model), key, model)


def _from_env_file(path: Path | None, variable: str) -> str:
    if path is None:
        return ""
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise InvalidDescriptor(f"cannot read credentials file {path}: {error.strerror}") from error
    for line in lines:
        name, _, value = line.partition("=")
        if name.strip() == variable:
            return value.strip()
    return ""


def _problem(answer: httpx.Response) -> str:
    try:
        document = answer.json()
    except ValueError:
        return answer.text[:300]
    if isinstance(document, dict):
        return str(document.get("detail") or document.get("title") or document)[:300]
    return str(document)[:300]
