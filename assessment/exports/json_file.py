"""`assessment.json`: the assessment model itself, keys sorted, for machines and the app."""

import json

from assessment.result import Assessment


def render(assessment: Assessment) -> str:
    return json.dumps(assessment.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"
