"""Scenario files: Chaos Toolkit experiments with a `readiness` extension.

A scenario is data, not code. Its structure is Chaos Toolkit's (title, description, a
steady-state hypothesis of probes with tolerances, a method of actions and probes,
rollbacks), so `chaostoolkit-lib` validates and runs our files too. What Chaos Toolkit
lacks lives in one extension named `readiness`: the dimensions the scenario gives evidence
for, how often the target is sampled while the fault lasts, a seed, and the expectations
(measure, bounds) that decide pass or fail.

A file is validated completely before anything runs, as `chaoslib.experiment` does: every
provider's function is imported and the declared arguments are bound to its signature;
every injector has its undo among the rollbacks; every expectation names a known measure
with valid arguments and steps that exist. Errors name the file, the path inside it and
the problem.
"""

import importlib
import inspect
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.measures import MEASURES
from readiness.errors import InvalidScenario
from readiness.resources import shipped

SCENARIO_FOLDER = shipped("harness", "scenarios")
EXTENSION = "readiness"
CONTEXT_PARAMETERS = frozenset({"configuration", "secrets"})
UNDO_ATTRIBUTE = "__readiness_undo__"


class Dimension(StrEnum):
    ARCHITECTURE = "architecture"
    MLOPS = "mlops"
    OBSERVABILITY = "observability"
    GOVERNANCE = "governance"
    SECURITY = "security"
    SCALABILITY = "scalability"
    RELIABILITY = "reliability"
    COST = "cost"
    TEAM = "team"
    COMPLIANCE = "compliance"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class PythonProvider(_Strict):
    type: Literal["python"] = "python"
    module: str = Field(min_length=1)
    func: str = Field(min_length=1)
    arguments: dict[str, Any] = {}


class Pauses(_Strict):
    before: float = Field(default=0.0, ge=0, le=3600)
    after: float = Field(default=0.0, ge=0, le=3600)


class RangeTolerance(_Strict):
    type: Literal["range"]
    range: tuple[float, float]

    @model_validator(mode="after")
    def _ordered(self) -> "RangeTolerance":
        if self.range[0] > self.range[1]:
            raise ValueError("range: the lower bound is above the upper bound")
        return self


Tolerance = bool | int | float | str | list[bool | int | float | str] | RangeTolerance


class Activity(_Strict):
    type: Literal["action", "probe"]
    name: str = Field(min_length=1)
    provider: PythonProvider
    pauses: Pauses = Pauses()
    timeout: float | None = Field(default=None, gt=0)
    tolerance: Tolerance | None = None


class Hypothesis(_Strict):
    title: str = Field(min_length=1)
    probes: list[Activity] = []


class Bounds(_Strict):
    max: float | None = None
    min: float | None = None

    def holds(self, value: float) -> bool:
        return (self.max is None or value <= self.max) and (self.min is None or value >= self.min)

    def describe(self) -> str:
        parts = [f">= {self.min:g}" if self.min is not None else "",
                 f"<= {self.max:g}" if self.max is not None else ""]  # fmt: skip
        return " and ".join(part for part in parts if part)


class Expectation(Bounds):
    """One tolerance that decides pass or fail: a measure of the run, and its bounds."""

    name: str = Field(min_length=1)
    measure: str
    since: str | None = None
    """The method step whose start the measure counts from (the fault's known moment)."""
    arguments: dict[str, Any] = {}

    @model_validator(mode="after")
    def _bounded(self) -> "Expectation":
        if self.max is None and self.min is None:
            raise ValueError("an expectation needs max, min or both")
        return self


class ReadinessExtension(_Strict):
    name: Literal["readiness"]
    dimensions: list[Dimension] = Field(min_length=1)
    seed: int | None = None
    sample_every_s: float = Field(default=1.0, gt=0, le=60)
    expectations: list[Expectation] = Field(min_length=1)


class Scenario(_Strict):
    """A scenario file as a Chaos Toolkit experiment."""

    version: str = "1.0.0"
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    tags: list[Annotated[str, Field(min_length=1)]] = []
    configuration: dict[str, Any] = {}
    steady_state_hypothesis: Hypothesis | None = Field(
        default=None, alias="steady-state-hypothesis"
    )
    method: list[Activity] = Field(min_length=1)
    rollbacks: list[Activity] = []
    extensions: list[dict[str, Any]] = Field(min_length=1)

    @property
    def readiness(self) -> ReadinessExtension:
        return next(
            ReadinessExtension.model_validate(e) for e in self.extensions
            if e.get("name") == EXTENSION
        )  # fmt: skip


class LoadedScenario(BaseModel):
    """A validated scenario with where it came from."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: Path
    text: str
    """The file as read: what the bundle keeps and digests."""
    scenario: Scenario

    @property
    def extension(self) -> ReadinessExtension:
        return self.scenario.readiness


def scenario_path(name: str) -> Path:
    """A shipped scenario by name, or a path to a file of one's own."""
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") or os.sep in name:
        return candidate
    return SCENARIO_FOLDER / f"{name}.yaml"


def shipped_scenarios() -> list[str]:
    return sorted(path.stem for path in SCENARIO_FOLDER.glob("*.yaml"))


def load_scenario(name_or_path: str | Path) -> LoadedScenario:
    path = scenario_path(str(name_or_path))
    try:
        text = path.read_text()
    except OSError as problem:
        known = ", ".join(shipped_scenarios())
        raise InvalidScenario(
            f"scenario {path}: cannot read it ({problem.strerror or problem}); "
            f"shipped scenarios: {known}"
        ) from problem
    return parse_scenario(text, path)


def parse_scenario(text: str, path: Path) -> LoadedScenario:
    where = str(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise InvalidScenario(f"scenario {where}: not valid YAML: {problem}") from problem
    if not isinstance(document, dict):
        raise InvalidScenario(f"scenario {where}: (top level): expected a mapping")
    extensions = document.get("extensions")
    if isinstance(extensions, list) and not any(
        isinstance(e, dict) and e.get("name") == EXTENSION for e in extensions
    ):
        raise InvalidScenario(f"scenario {where}: extensions: no '{EXTENSION}' extension")
    try:
        scenario = Scenario.model_validate(document)
        for index, extension in enumerate(scenario.extensions):
            if extension.get("name") == EXTENSION:
                _validate_extension(extension, index)
    except ValidationError as problem:
        first = problem.errors()[0]
        location = _location(first["loc"])
        raise InvalidScenario(f"scenario {where}: {location}: {first['msg']}") from problem
    except _Problem as problem:
        raise InvalidScenario(f"scenario {where}: {problem.location}: {problem}") from None
    try:
        _check_activities(scenario)
    except _Problem as problem:
        raise InvalidScenario(f"scenario {where}: {problem.location}: {problem}") from None
    return LoadedScenario(name=path.stem, path=path, text=text, scenario=scenario)


class _Problem(InvalidScenario):
    def __init__(self, location: str, message: str) -> None:
        super().__init__(message)
        self.location = location


def _location(parts: tuple[int | str, ...] | list[int | str]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _validate_extension(extension: dict[str, Any], index: int) -> None:
    try:
        parsed = ReadinessExtension.model_validate(extension)
    except ValidationError as problem:
        first = problem.errors()[0]
        location = _location(["extensions", index, *first["loc"]])
        raise _Problem(location, first["msg"]) from None
    for number, expectation in enumerate(parsed.expectations):
        where = f"extensions[{index}].expectations[{number}]"
        measure = MEASURES.get(expectation.measure)
        if measure is None:
            known = ", ".join(sorted(MEASURES))
            raise _Problem(f"{where}.measure",
                           f"unknown measure '{expectation.measure}' (known: {known})")  # fmt: skip
        try:
            measure.parameters.model_validate(expectation.arguments)
        except ValidationError as problem:
            first = problem.errors()[0]
            raise _Problem(_location([where, "arguments", *first["loc"]]), first["msg"]) from None


def resolve(provider: PythonProvider, location: str) -> Callable[..., Any]:
    """The provider's function, imported; `_Problem` naming what is missing."""
    try:
        module = importlib.import_module(provider.module)
    except ImportError as problem:
        message = f"cannot import module '{provider.module}': {problem}"
        raise _Problem(f"{location}.module", message) from None
    function = getattr(module, provider.func, None)
    if not inspect.isfunction(function):
        message = f"unknown function '{provider.func}' in module '{provider.module}'"
        raise _Problem(f"{location}.func", message)
    signature = inspect.signature(function)
    context = {name: None for name in CONTEXT_PARAMETERS if name in signature.parameters}
    try:
        signature.bind(**provider.arguments, **context)
    except TypeError as problem:
        raise _Problem(f"{location}.arguments", f"{provider.func}: {problem}") from None
    return function


def _check_activities(scenario: Scenario) -> None:
    probes = scenario.steady_state_hypothesis.probes if scenario.steady_state_hypothesis else []
    groups = (("steady-state-hypothesis.probes", probes), ("method", scenario.method),
              ("rollbacks", scenario.rollbacks))  # fmt: skip
    resolved: dict[str, list[Callable[..., Any]]] = {}
    for label, activities in groups:
        resolved[label] = [
            resolve(activity.provider, f"{label}[{index}].provider")
            for index, activity in enumerate(activities)
        ]
    for index, probe in enumerate(probes):
        if probe.tolerance is None:
            raise _Problem(f"steady-state-hypothesis.probes[{index}].tolerance",
                           "a steady-state probe needs a tolerance")  # fmt: skip
    names = [activity.name for activity in scenario.method]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise _Problem(f"method[{index}].name", f"'{name}' names two steps")
    undos = {
        (function.__name__, _undo_key(activity)) for function, activity
        in zip(resolved["rollbacks"], scenario.rollbacks, strict=True)
    }  # fmt: skip
    for index, (function, activity) in enumerate(
        zip(resolved["method"], scenario.method, strict=True)
    ):
        undo = getattr(function, UNDO_ATTRIBUTE, None)
        if undo is not None and (undo, _undo_key(activity)) not in undos:
            raise _Problem(
                f"method[{index}]",
                f"'{activity.name}' injects with {activity.provider.func}, whose undo "
                f"{activity.provider.module}.{undo} is not among the rollbacks"
                + (f" (with hook: {_undo_key(activity)})" if _undo_key(activity) else ""),
            )
    for index, expectation in enumerate(scenario.readiness.expectations):
        if expectation.since is not None and expectation.since not in names:
            raise _Problem(
                f"extensions.readiness.expectations[{index}].since",
                f"no method step named '{expectation.since}'",
            )


def _undo_key(activity: Activity) -> str:
    """Undo pairs by function, and for fault hooks by hook name."""
    return str(activity.provider.arguments.get("hook", ""))
