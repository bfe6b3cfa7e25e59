"""One tree of exceptions: every exception class of the project, found in its source, sits
under `ReadinessError`; the public ones live in `readiness.errors` and its docstring draws
them. Read from the source rather than imported, so a module nobody imports is seen too."""

import ast
import builtins
import inspect
from pathlib import Path

import pytest

from readiness import errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("readiness", "reference", "harness", "assessment", "reports")
BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}


def defined_classes(
    root: Path = ROOT, packages: tuple[str, ...] = PACKAGES
) -> dict[str, tuple[str, list[str]]]:
    """`module:Class` -> (the class's name, the last names of its bases), for every
    top-level class in the packages."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    bases = [ast.unparse(base).split(".")[-1] for base in node.bases]
                    found[f"{path.relative_to(root)}:{node.name}"] = (node.name, bases)
    return found


def exception_classes(classes: dict[str, tuple[str, list[str]]]) -> dict[str, list[str]]:
    """The classes that derive from an exception, directly or through another one."""
    exceptions = set(BUILTIN_EXCEPTIONS)
    grown = True
    while grown:
        grown = False
        for name, bases in classes.values():
            if name not in exceptions and any(base in exceptions for base in bases):
                exceptions.add(name)
                grown = True
    return {
        where: bases
        for where, (_, bases) in classes.items()
        if any(base in exceptions for base in bases)
    }


def tree_names() -> set[str]:
    return {
        name
        for name, value in inspect.getmembers(errors, inspect.isclass)
        if value.__module__ == errors.__name__ and issubclass(value, errors.ReadinessError)
    }


def test_every_public_exception_of_the_project_is_defined_in_readiness_errors() -> None:
    public = [
        where
        for where in exception_classes(defined_classes())
        if not where.startswith("readiness/errors.py:") and not where.split(":")[1].startswith("_")
    ]
    assert public == []


def test_every_private_exception_derives_from_a_class_of_the_tree() -> None:
    private = exception_classes(defined_classes())
    outside_the_tree = [
        f"{where} derives from {', '.join(bases)}"
        for where, bases in private.items()
        if not where.startswith("readiness/errors.py:") and not set(bases) & tree_names()
    ]
    assert outside_the_tree == []


def test_every_class_of_readiness_errors_derives_from_readiness_error() -> None:
    defined = [
        value
        for _, value in inspect.getmembers(errors, inspect.isclass)
        if value.__module__ == errors.__name__
    ]
    assert len(defined) > 20
    assert [c.__name__ for c in defined if not issubclass(c, errors.ReadinessError)] == []


def test_the_module_docstring_draws_every_exception_of_the_tree() -> None:
    documented = errors.__doc__ or ""
    drawn = {"ReadinessError"} | {
        line.split("── ")[1].split()[0] for line in documented.splitlines() if "── " in line
    }
    assert sorted(tree_names() ^ drawn) == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("class Broken(RuntimeError):\n    pass\n", ["pkg/m.py:Broken"]),
        ("class A(ValueError): ...\nclass B(A): ...\n", ["pkg/m.py:A", "pkg/m.py:B"]),
        ("class Settings(BaseModel): ...\n", []),
    ],
    ids=["a builtin base", "an exception through another class", "a class that is not one"],
)
def test_the_walk_finds_an_exception_class_however_it_derives(
    tmp_path: Path, source: str, found: list[str]
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(source)
    classes = defined_classes(tmp_path, ("pkg",))
    assert sorted(exception_classes(classes)) == found
