"""Where readiness keeps its state.

All state (MLflow database and artifacts, the Feast repository data, exported models,
evidence bundles) lives under one folder, `READINESS_HOME`, so that a test can point it at
a temporary folder and a user can delete one folder to start again.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from readiness.errors import InvalidConfiguration

HOME_VARIABLE = "READINESS_HOME"
DEFAULT_HOME = Path(".readiness")
MLFLOW_VARIABLE = "MLFLOW_TRACKING_URI"


@dataclass(frozen=True)
class Home:
    """The state folder and the well-known places inside it."""

    root: Path

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def mlflow_tracking_uri(self) -> str:
        """`MLFLOW_TRACKING_URI` when set (an MLflow server), else the SQLite file here."""
        configured = os.environ.get(MLFLOW_VARIABLE, "").strip()
        return configured or f"sqlite:///{self.mlflow_db}"

    @property
    def mlflow_artifacts(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def feature_repo(self) -> Path:
        return self.root / "feature_repo"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def audit_db(self) -> Path:
        """Prediction log, feedback, deployment log and audit trail (SQLite)."""
        return self.root / "audit.db"

    @property
    def audit_url(self) -> str:
        return f"sqlite:///{self.audit_db}"

    @property
    def pii_key(self) -> Path:
        """The key that hashes PII before it is logged, when `READINESS_PII_KEY` is unset."""
        return self.root / "pii.key"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def cache(self) -> Path:
        """What libraries keep between runs (hypothesis' unicode tables), not in the user's
        working folder."""
        return self.root / "cache"

    def ensure(self) -> "Home":
        """Create the folder tree; idempotent."""
        for folder in (self.root, self.mlflow_artifacts, self.feature_repo, self.models, self.runs):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise InvalidConfiguration(
                    f"{HOME_VARIABLE} {self.root} cannot be created: {error.strerror}"
                ) from error
        return self


def readiness_home() -> Home:
    """The home named by `READINESS_HOME`, or `./.readiness`, as an absolute path."""
    configured = os.environ.get(HOME_VARIABLE, "").strip()
    root = Path(configured) if configured else DEFAULT_HOME
    return Home(root.expanduser().resolve())
