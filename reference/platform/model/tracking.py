"""MLflow experiments by name, created where this home keeps its artifacts.

With the SQLite store under `READINESS_HOME` the artifacts must live there too (MLflow's
default is `./mlruns` of whatever folder the process runs in); a tracking server decides
for itself. Every run the platform logs (training, retraining) finds its experiment here.
"""

from mlflow import MlflowClient

from readiness.home import Home


def experiment_id(home: Home, name: str) -> str:
    """The id of experiment `name`, created on first use."""
    client = MlflowClient(home.mlflow_tracking_uri, registry_uri=home.mlflow_tracking_uri)
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return str(experiment.experiment_id)
    if home.mlflow_tracking_uri.startswith("sqlite:"):
        return client.create_experiment(name, artifact_location=home.mlflow_artifacts.as_uri())
    return client.create_experiment(name)  # a tracking server decides where artifacts live
