"""Third-party libraries' deprecation notices and info logs are for their developers, not
for our users: silenced once those libraries are imported."""

import logging
import warnings

NOISY_LOGGERS = ("mlflow", "alembic", "feast", "torch.onnx")


def quiet_libraries() -> None:
    """Call after the libraries are imported: MLflow sets its own log level on import."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
