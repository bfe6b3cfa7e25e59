"""The target as the harness sees it: URLs and credentials from its descriptor, nothing else.

Everything the harness does to a system goes through a `Target`: its endpoints, its API
keys (read from the environment or from the env file the descriptor names) and its fault
hooks. A user's own system offers the same things in its descriptor, so no scenario, probe
or injector has a private way into our reference systems.
"""

import hashlib
import json
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from readiness.descriptor import FaultHook, TargetDescriptor, load_descriptor
from readiness.errors import InvalidDescriptor, TargetUnavailable

HOOK_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class HookResult:
    """What a fault hook answered: an HTTP status and body, or a command's exit status and
    output."""

    hook: str
    ok: bool
    detail: str
    result: dict[str, Any] | None = None
    """What the hook reported as a JSON object (an HTTP body, or a command's last line of
    standard output), for measures that read a figure of it."""


class Target:
    def __init__(self, descriptor: TargetDescriptor, path: Path | None = None) -> None:
        self.descriptor = descriptor
        self.path = path
        registry = descriptor.registry
        self.model = descriptor.model or (registry.model if registry else None)
        self._keys = _read_credentials(descriptor)

    @classmethod
    def from_file(cls, path: Path) -> "Target":
        return cls(load_descriptor(path), path)

    @property
    def digest(self) -> str:
        """sha256 of the descriptor's canonical JSON: which deployment the evidence is about."""
        canonical = json.dumps(self.descriptor.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def base(self) -> Path:
        """The folder the descriptor's relative paths resolve from."""
        return self.path.parent if self.path is not None else Path.cwd()

    def url(self, endpoint: str) -> str:
        """The URL of a named endpoint with `{model}` filled in; InvalidDescriptor when the
        descriptor does not declare it."""
        value = getattr(self.descriptor.endpoints, endpoint, None)
        if not isinstance(value, str):
            raise InvalidDescriptor(
                f"target descriptor '{self.descriptor.name}': endpoints.{endpoint}: not declared"
            )
        return self._filled(value, f"endpoints.{endpoint}")

    def _filled(self, template: str, field: str, quote: bool = False) -> str:
        """`template` with `{model}` filled in; InvalidDescriptor naming `field` when it
        has `{model}` and the descriptor names no model."""
        if "{model}" not in template:
            return template
        if self.model is None:
            raise InvalidDescriptor(
                f"target descriptor '{self.descriptor.name}': {field} has {{model}}, so model "
                "(or registry.model) is required"
            )
        return template.replace("{model}", shlex.quote(self.model) if quote else self.model)

    def has(self, endpoint: str) -> bool:
        return isinstance(getattr(self.descriptor.endpoints, endpoint, None), str)

    def key(self, role: str = "api") -> str | None:
        """The API key for `role` ('api' or 'admin'), or None when the target has none."""
        variable = (
            self.descriptor.credentials.admin_key_env
            if role == "admin"
            else self.descriptor.credentials.api_key_env
        )
        return self._keys.get(variable) if variable else None

    def headers(self, role: str = "api") -> dict[str, str]:
        key = self.key(role)
        return self.key_headers(key) if key else {}

    def key_headers(self, key: str) -> dict[str, str]:
        """The header carrying `key` as the target expects it (`x-api-key: KEY`,
        `Authorization: Bearer KEY`)."""
        credentials = self.descriptor.credentials
        return {credentials.header: credentials.header_value(key)}

    def get(self, endpoint: str, timeout: float = 10.0) -> httpx.Response:
        url = self.url(endpoint)
        try:
            return httpx.get(url, headers=self.headers(), timeout=timeout, follow_redirects=True)
        except httpx.HTTPError as error:
            raise TargetUnavailable(f"{endpoint} endpoint {url} did not answer: {error}") from error

    def check_up(self) -> None:
        """Raise TargetUnavailable unless the health endpoint answers 2xx."""
        answer = self.get("health")
        if not answer.is_success:
            raise TargetUnavailable(
                f"health endpoint {self.url('health')} answered {answer.status_code}"
            )

    def fire(self, name: str) -> HookResult:
        """Run the fault hook `name`; InvalidDescriptor when the descriptor has none."""
        hook = self.descriptor.hook(name)
        if hook is None:
            declared = ", ".join(h.name for h in self.descriptor.fault_hooks) or "none"
            raise InvalidDescriptor(
                f"target descriptor '{self.descriptor.name}': fault_hooks: no hook '{name}' "
                f"(declared: {declared})"
            )
        if hook.kind == "http":
            return self._fire_http(hook)
        return self._fire_shell(hook)

    def _fire_http(self, hook: FaultHook) -> HookResult:
        url = self._filled(hook.target, f"fault_hooks.{hook.name}")
        try:
            answer = httpx.post(url, json=hook.payload, headers=self.headers("admin"),
                                timeout=HOOK_TIMEOUT_S)  # fmt: skip
        except httpx.HTTPError as error:
            return HookResult(hook.name, False, f"POST {url} failed: {error}")
        return HookResult(hook.name, answer.is_success, f"{answer.status_code} {answer.text[:500]}",
                          _json_object(answer.text))  # fmt: skip

    def _fire_shell(self, hook: FaultHook) -> HookResult:
        command = self._filled(hook.target, f"fault_hooks.{hook.name}", quote=True)
        environment = {
            **os.environ,
            **self._keys,
            "READINESS_FAULT_PAYLOAD": json.dumps(hook.payload),
        }
        try:
            finished = subprocess.run(
                command, shell=True, env=environment, capture_output=True, text=True,
                timeout=HOOK_TIMEOUT_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return HookResult(hook.name, False, f"'{command}' ran past {HOOK_TIMEOUT_S:g} s")
        output = (finished.stdout + finished.stderr).strip()[-500:]
        lines = finished.stdout.strip().splitlines()
        return HookResult(hook.name, finished.returncode == 0,
                          f"exit {finished.returncode}: {output}",
                          _json_object(lines[-1]) if lines else None)  # fmt: skip


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _read_credentials(descriptor: TargetDescriptor) -> dict[str, str]:
    """The credential variables: the environment first, then the descriptor's env file."""
    credentials = descriptor.credentials
    wanted = [name for name in (credentials.api_key_env, credentials.admin_key_env) if name]
    found = {name: os.environ[name] for name in wanted if os.environ.get(name)}
    if credentials.env_file is not None and set(wanted) - set(found):
        try:
            lines = credentials.env_file.read_text().splitlines()
        except OSError as error:
            raise InvalidDescriptor(
                f"target descriptor '{descriptor.name}': credentials.env_file: cannot read "
                f"{credentials.env_file}: {error.strerror}"
            ) from error
        for line in lines:
            name, _, value = line.partition("=")
            if name.strip() in wanted and name.strip() not in found:
                found[name.strip()] = value.strip()
    return found
