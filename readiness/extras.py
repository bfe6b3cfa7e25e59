"""The optional parts of readiness and what each needs: `pip install readiness` is the core
(descriptor, init, run against a descriptor, assess, gate, the exports and the HTML
report); a command that needs more says which extra to install instead of failing on an
import deep inside it."""

from importlib.util import find_spec

from readiness.errors import MissingExtra

EXTRAS: dict[str, tuple[str, ...]] = {
    "reference": ("torch", "ray", "onnxruntime", "sklearn", "feast", "mlflow", "fastapi", "nats"),
    "app": ("streamlit", "fpdf", "matplotlib"),
    "charts": ("matplotlib",),
    "drift-report": ("evidently",),
    "mlflow": ("mlflow",),
    "feast": ("feast",),
}
"""Each extra (pyproject's optional-dependencies) and the modules that show it is there."""


def missing_modules(extra: str) -> list[str]:
    """The modules of `extra` this environment cannot import (a cheap look-up, no import)."""
    return [module for module in EXTRAS[extra] if find_spec(module) is None]


def require(extra: str, needed_by: str) -> None:
    """MissingExtra naming what needs `extra`, what is absent and the command that adds it."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtra(
            f"{needed_by} needs the '{extra}' extra ({', '.join(missing)} not installed): "
            f"pip install 'readiness[{extra}]'"
        )


DATABASE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


def registry_reader_missing(uri: str) -> str | None:
    """Why this environment cannot read the MLflow registry at `uri`, or None when it can:
    a tracking server over HTTP needs the MLflow client (`[mlflow]`, mlflow-skinny); a
    database store is opened in-process and needs the full `mlflow` package (alembic)."""
    if missing_modules("mlflow"):
        return (
            "reading an MLflow registry needs the 'mlflow' extra: pip install 'readiness[mlflow]'"
        )
    if uri.split(":", 1)[0].split("+", 1)[0] in DATABASE_SCHEMES and find_spec("alembic") is None:
        return (
            f"the registry {uri.split(':', 1)[0]}:... is a database store, opened in-process "
            "by the full MLflow package: pip install mlflow (or serve it with `mlflow server` "
            "and declare its http:// URI)"
        )
    return None
