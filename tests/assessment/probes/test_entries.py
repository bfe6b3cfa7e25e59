"""Every listed probe is judged by a table here, so a new probe arrives with its cases."""

import ast
from pathlib import Path

from assessment.probes.entries import PROBES


def imported_probes() -> set[str]:
    names: set[str] = set()
    for module in Path(__file__).parent.glob("test_*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "assessment.probes."
            ):
                names |= {alias.name for alias in node.names}
    return names


def test_every_listed_probe_has_a_table_of_cases() -> None:
    untested = sorted(probe.__name__ for probe in PROBES if probe.__name__ not in imported_probes())
    assert not untested, f"probes without a table in tests/assessment/probes: {untested}"
