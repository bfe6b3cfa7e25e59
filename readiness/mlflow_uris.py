"""MLflow's process-wide registry settings, used for one call and put back exactly.

MLflow resolves `models:/` URIs and registers logged models through two module globals
and two environment variables, not through a client. Setting them and "restoring" with
`set_registry_uri(get_registry_uri())` pins the registry for the rest of the process: a
later `MlflowClient(tracking_uri)` then registers into the wrong store (this is how one
test's registry once swallowed the next test's model). So the globals and the variables
are saved and put back as they were, unset included.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@contextmanager
def using_registry(uri: str) -> Iterator[None]:
    """MLflow's tracking and registry URI are `uri` inside the block, as before after it."""
    import mlflow
    from mlflow.tracking._model_registry import utils as registry_settings
    from mlflow.tracking._tracking_service import utils as tracking_settings

    tracking, registry = tracking_settings._tracking_uri, registry_settings._registry_uri
    variables = {name: os.environ.get(name) for name in VARIABLES}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(tracking)  # type: ignore[arg-type]  # None: unset, as it was
        registry_settings._registry_uri = registry
        for name, value in variables.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
