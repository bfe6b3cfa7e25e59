"""Files shipped inside the packages (scenarios, policies, rules, controls, the rubric):
found through `importlib.resources`, so they are where the package is, whether it runs
from a checkout, an editable install, a wheel, `pipx` or `uvx`, never beside a working
folder."""

from importlib.resources import files
from pathlib import Path

from readiness.errors import OperationFailed


def shipped(package: str, *parts: str) -> Path:
    """The shipped file or folder `parts` of `package`, as a path on disk.

    Every consumer (YAML loaders, `streamlit run`, Prometheus' rule files) wants a real
    path; the packages are installed unzipped, and a loader that hands back anything else
    is an installation this project does not support, said as such."""
    resource = files(package).joinpath(*parts)
    if not isinstance(resource, Path):
        raise OperationFailed(
            f"readiness: {package} is not installed as files on disk ({type(resource).__name__}); "
            "install readiness unzipped (pip, pipx and uv all do)"
        )
    return resource
