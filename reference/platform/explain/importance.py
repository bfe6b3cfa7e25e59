"""Global SHAP importance of a model over the schema's model inputs.

The model is explained as a function of the input columns a client sends (raw numbers and
category indices), not of its internal embeddings, so the importances name real features.
"""

import numpy as np
import numpy.typing as npt
import pandas as pd
import shap
from pydantic import BaseModel

from reference.platform.model.evaluation import Predict
from reference.platform.model.schema import FeatureSchema


class GlobalImportance(BaseModel):
    """Mean absolute SHAP value per feature, largest first, and what it was measured on."""

    explained_rows: int
    background_rows: int
    importance: dict[str, float]


def global_importance(
    predict: Predict,
    schema: FeatureSchema,
    numeric: npt.NDArray[np.float32],
    categorical: npt.NDArray[np.int64],
    rows: int = 100,
    background: int = 100,
    seed: int = 7,
) -> GlobalImportance:
    names = [c.name for c in schema.model_inputs]
    n_numeric = len(schema.numeric_inputs)
    table = np.hstack([numeric, categorical.astype(np.float32)])

    def model(matrix: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        return predict(
            matrix[:, :n_numeric].astype(np.float32),
            np.rint(matrix[:, n_numeric:]).astype(np.int64),
        )

    generator = np.random.default_rng(seed)
    background_rows = table[generator.choice(len(table), size=background, replace=False)]
    explained = table[generator.choice(len(table), size=rows, replace=False)]
    explainer = shap.PermutationExplainer(
        model, shap.maskers.Independent(background_rows, max_samples=background), seed=seed
    )
    values = explainer(explained, silent=True).values
    mean_abs = pd.Series(np.abs(values).mean(axis=0), index=names).sort_values(ascending=False)
    return GlobalImportance(
        explained_rows=rows,
        background_rows=background,
        importance={name: float(value) for name, value in mean_abs.items()},
    )
