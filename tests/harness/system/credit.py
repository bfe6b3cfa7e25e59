"""A credit data set made here (not Adult) and a scikit-learn model of it, logged and
registered in MLflow as a team would: the system under test for the third-party servers.

Rows: income, debt ratio, age, years employed, employment type, region (the fairness
group), an e-mail address (personal data) and `defaulted` (the label). The label follows
a logistic model of the numbers with a little noise, so the model learns something real.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from readiness.mlflow_uris import using_registry

EMPLOYMENT = ("salaried", "self-employed", "contract", "retired")
REGIONS = ("north", "south", "east")
MODEL_NAME = "credit-default"
LABEL = "defaulted"


def credit_rows(count: int = 3000, seed: int = 11) -> pd.DataFrame:
    random = np.random.default_rng(seed)
    income = random.lognormal(10.6, 0.45, count).round(2)
    debt_ratio = random.beta(2, 5, count).round(4)
    age = random.integers(21, 75, count)
    years = np.minimum(age - 18, random.poisson(6, count))
    employment = random.choice(EMPLOYMENT, count, p=[0.6, 0.2, 0.15, 0.05])
    region = random.choice(REGIONS, count, p=[0.5, 0.35, 0.15])
    score = -1.2 + 4.0 * debt_ratio - 0.00002 * (income - 40_000) - 0.04 * years
    score += np.where(employment == "contract", 0.6, 0.0) + random.normal(0, 0.5, count)
    defaulted = (random.random(count) < 1 / (1 + np.exp(-score))).astype(int)
    return pd.DataFrame({
        "income": income, "debt_ratio": debt_ratio, "age": age, "years_employed": years,
        "employment": employment, "region": region,
        "email": [f"client{n}@example.invalid" for n in range(count)], LABEL: defaulted,
    })  # fmt: skip


@dataclass(frozen=True)
class Registered:
    tracking_uri: str
    model: str
    version: str
    rows: Path


def credit_pipeline(frame: pd.DataFrame) -> object:
    """The scikit-learn model of the credit rows: scaled numbers, one-hot employment, a
    logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers = ["income", "debt_ratio", "age", "years_employed"]
    model = Pipeline([
        ("columns", ColumnTransformer([("numbers", StandardScaler(), numbers),
                                       ("employment", OneHotEncoder(), ["employment"])])),
        ("classifier", LogisticRegression(max_iter=500)),
    ])  # fmt: skip
    return model.fit(frame.drop(columns=[LABEL]), frame[LABEL])


def register_credit_model(folder: Path) -> Registered:
    """Train the model, log it with its signature and an input example, register it and
    give it the `champion` alias; write the rows a client sends as CSV."""
    import mlflow
    from mlflow.models import infer_signature

    frame = credit_rows()
    rows = folder / "credit-rows.csv"
    frame.to_csv(rows, index=False)
    inputs = frame.drop(columns=[LABEL])
    model: Any = credit_pipeline(frame)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    experiment = client.create_experiment(
        "credit", artifact_location=(folder / "artifacts").as_uri()
    )
    with using_registry(uri), mlflow.start_run(experiment_id=experiment):
        mlflow.log_params({"max_iter": 500, "model": "logistic-regression"})
        mlflow.log_metric("train_accuracy", float(model.score(inputs, frame[LABEL])))
        logged = mlflow.sklearn.log_model(  # registers through MLflow's global settings
            model, name="model", signature=infer_signature(inputs, model.predict(inputs)),
            registered_model_name=MODEL_NAME, pip_requirements=["scikit-learn"],
        )  # fmt: skip
    version = str(logged.registered_model_version)
    client.set_registered_model_alias(MODEL_NAME, "champion", version)
    return Registered(uri, MODEL_NAME, version, rows)
