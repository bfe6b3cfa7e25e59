"""The layers of docs/architecture.md are import-linter's contracts, which `make lint` checks
(so `make test` does); here, that the contracts cover every module of the `readiness`
package (a contract at the bottom, or one of the two leaves on top), that a shortcut inside
a function breaks one, and that tests keep their fixtures where pytest finds them."""

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEAVES = {"readiness.cli", "readiness.jobs", "readiness.__main__"}


def contracts() -> list[dict[str, object]]:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    found: list[dict[str, object]] = settings["contracts"]
    return found


def bottom_contract() -> dict[str, object]:
    return next(c for c in contracts() if "bottom" in str(c["name"]))


def readiness_modules() -> set[str]:
    package = ROOT / "readiness"
    return {
        f"readiness.{path.stem if path.is_file() else path.name}"
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }


def test_every_module_of_readiness_is_a_named_contract_or_a_leaf() -> None:
    named = set(bottom_contract()["source_modules"])  # type: ignore[call-overload]
    assert sorted(readiness_modules() - named - LEAVES) == []
    assert sorted(named - readiness_modules()) == []


def test_the_contracts_at_the_bottom_may_not_import_any_layer() -> None:
    forbidden = set(bottom_contract()["forbidden_modules"])  # type: ignore[call-overload]
    assert forbidden == {*LEAVES - {"readiness.__main__"}, "reference", "harness",
                         "assessment", "reports"}  # fmt: skip


def linter() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert found is not None, "import-linter is a dev dependency: make install"
    return found


def test_a_lazy_import_inside_a_function_breaks_a_contract(tmp_path: Path) -> None:
    """What the linter reads: every import statement at any depth, so a shortcut taken
    inside a function is caught like one at the top of a module."""
    for package, text in {"harness": "def f():\n    from reference import platform\n",
                          "reference": "", "reference/platform": ""}.items():  # fmt: skip
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(text)
    (tmp_path / "contracts.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["harness", "reference"]\n'
        '[[tool.importlinter.contracts]]\nname = "no shortcut"\ntype = "forbidden"\n'
        'source_modules = ["harness"]\nforbidden_modules = ["reference"]\n'
    )
    finished = subprocess.run(
        [linter(), "--config", "contracts.toml", "--no-cache"], cwd=tmp_path, capture_output=True,
        text=True, check=False, env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert finished.returncode == 1, finished.stdout[-2000:]
    assert "harness is not allowed to import reference" in finished.stdout


def test_no_test_imports_another_test_module_or_a_conftest() -> None:
    """Fixtures live in conftest files, where pytest finds them; helpers in plain modules."""
    offending = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests"):
                last = node.module.split(".")[-1]
                if last.startswith("test_") or last == "conftest":
                    offending.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.module}")
    assert offending == []
