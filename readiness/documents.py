"""Load YAML documents into pydantic models, with errors that name the file and the field.

Every file a user hands us (feature schema, policies, target descriptors, scenarios) goes
through here, so they all fail the same way: which file, where in it, what is wrong.
"""

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from readiness.errors import InvalidInput

Model = TypeVar("Model", bound=BaseModel)


def parse_document(
    text: str, where: str, model: type[Model], error: type[InvalidInput], what: str
) -> Model:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(f"{what} {where} is not valid YAML: {problem}") from problem
    try:
        return model.model_validate(document)
    except ValidationError as problem:
        first = problem.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise error(f"{what} {where}: {location}: {first['msg']}") from problem


def load_document(path: Path, model: type[Model], error: type[InvalidInput], what: str) -> Model:
    try:
        text = path.read_text()
    except OSError as problem:
        raise error(f"cannot read {what} {path}: {problem.strerror or problem}") from problem
    return parse_document(text, str(path), model, error, what)
