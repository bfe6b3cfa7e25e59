"""The data flows one way: the harness, the assessment and the reports reach a system only
through its descriptor, never by importing the reference systems. Read from the source
(every import statement, at any depth, lazy ones included), so a shortcut fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("harness", "assessment", "reports", "readiness/audit", "readiness/descriptor.py")
FORBIDDEN = "reference"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def sources(layer: str) -> list[Path]:
    path = ROOT / layer
    return [path] if path.is_file() else sorted(path.rglob("*.py"))


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_below_the_systems_imports_nothing_of_them(layer: str) -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(layer)
        for line, module in imported_modules(path)
        if module == FORBIDDEN or module.startswith(f"{FORBIDDEN}.")
    ]
    assert offending == []


def test_the_check_sees_a_lazy_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from reference.platform import dataset\n")
    assert imported_modules(module) == [(2, "reference.platform")]
