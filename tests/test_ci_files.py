"""The pieces a CI pipeline takes from this repository, checked statically, since no
container engine or GitHub runner is here: the Dockerfile copies only what exists and
runs the console script as an unprivileged user; the composite action and the CI examples
in the documentation call only commands and options the CLI has, with valid shell."""

import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from readiness.cli import app

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", dockerfile.read_text())
    found = []
    for line in joined.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


DOCKERFILE = instructions(ROOT / "Dockerfile")
IGNORED = [line for line in (ROOT / ".dockerignore").read_text().splitlines()
           if line and not line.startswith("#")]  # fmt: skip


def test_the_image_is_built_in_stages_and_runs_the_cli_as_a_user_who_is_not_root() -> None:
    keywords = [k for k, _ in DOCKERFILE]
    assert keywords.count("FROM") >= 2
    final = keywords[len(keywords) - 1 - keywords[::-1].index("FROM") :]
    users = [a for k, a in DOCKERFILE[len(keywords) - len(final) :] if k == "USER"]
    assert users
    assert users[-1] not in ("root", "0")
    assert keywords.index("ENTRYPOINT") > len(keywords) - 1 - keywords[::-1].index("USER")
    (entrypoint,) = [yaml.safe_load(a) for k, a in DOCKERFILE if k == "ENTRYPOINT"]
    assert entrypoint == list(PYPROJECT["project"]["scripts"])


def test_every_path_the_image_copies_exists_and_is_not_ignored() -> None:
    copied = []
    for keyword, arguments in DOCKERFILE:
        if keyword == "COPY" and not arguments.startswith("--from"):
            *sources, _ = shlex.split(arguments)
            copied += sources
    assert copied
    assert [s for s in copied if not (ROOT / s).exists()] == []
    assert [s for s in copied if any(Path(s).match(pattern) for pattern in IGNORED)] == []
    packages = {name.rstrip("*") for name in PYPROJECT["tool"]["setuptools"]["packages"]["find"]
                ["include"]}  # fmt: skip
    assert packages | {PYPROJECT["project"]["readme"], "pyproject.toml"} <= set(copied)


COMMAND = typer.main.get_command(app)


def _options(path: list[str]) -> set[str]:
    command: Any = COMMAND
    for name in path:
        assert hasattr(command, "commands"), path  # a group (typer vendors its own click)
        assert name in command.commands, f"readiness has no command {' '.join(path)}"
        command = command.commands[name]
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)}


def readiness_calls(script: str) -> list[list[str]]:
    """Each `readiness ...` command line in a shell script or a YAML `run:`."""
    calls = []
    for line in script.replace("\\\n", " ").splitlines():
        for part in re.split(r"&&|\|\||;|\|", line):
            words = part.strip().split()
            if words and words[0] == "readiness":
                calls.append(words[1:])
    return calls


def _check_call(words: list[str]) -> None:
    groups = {"audit", "monitor"}
    path = words[:2] if words[0] in groups else words[:1]
    known = _options(path)
    used = {w.split("=")[0] for w in words if w.startswith("-") and w != "-"}
    assert used <= known | {"--help"}, (words, used - known)


ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = ACTION["runs"]["steps"]


def test_the_action_is_composite_and_reads_only_the_inputs_it_declares() -> None:
    assert ACTION["runs"]["using"] == "composite"
    text = (ROOT / "action.yml").read_text()
    assert set(re.findall(r"inputs\.([a-z-]+)", text)) <= set(ACTION["inputs"])
    assert all(step.get("shell") == "bash" for step in STEPS if "run" in step)


@pytest.mark.parametrize("step", [s["name"] for s in STEPS if "run" in s])
def test_each_step_of_the_action_is_valid_bash_calling_real_options(step: str) -> None:
    (script,) = [s["run"] for s in STEPS if s.get("name") == step]
    plain = re.sub(r"\$\{\{[^}]*\}\}", "value", script)
    checked = subprocess.run(["bash", "-n"], input=plain, text=True, capture_output=True,
                             check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    for call in readiness_calls(plain):
        _check_call(call)


def _yaml_blocks(markdown: str) -> list[Any]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", markdown, re.DOTALL)]


def _scripts(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items()
                for s in ([value] if key in ("run", "script") and isinstance(value, str) else
                          value if key == "script" and isinstance(value, list) else
                          _scripts(value))]  # fmt: skip
    if isinstance(node, list):
        return [s for item in node for s in _scripts(item)]
    return []


def test_the_ci_examples_in_the_documentation_use_the_light_install_and_real_options() -> None:
    text = (ROOT / "docs" / "ci.md").read_text() + (ROOT / "README.md").read_text()
    scripts = [s for block in _yaml_blocks(text) for s in _scripts(block)]
    calls = [call for script in scripts for call in readiness_calls(script)]
    assert len(calls) >= 6
    for call in calls:
        _check_call(call)
    installs = [s for s in scripts if "pip install" in s]
    assert installs
    readme = _yaml_blocks((ROOT / "README.md").read_text())
    assert any(isinstance(b, dict) and "script" in b.get("readiness", {}) for b in readme)
    assert not any(re.search(r"\[(reference|app|dev)", s) for s in installs)
