"""The UCI Adult data set, loaded from the copy shipped inside the project.

Loading cleans the two quirks of the raw files (`?` for missing values, and the test file's
comment line and label periods), checks every row against the feature schema, and adds the
synthetic columns the platform needs: an `applicant_id` entity key and a clearly generated
`contact_email`, so that PII handling is exercised although Adult has no PII.
"""

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from readiness.errors import InvalidDataset, InvalidFeatures
from reference.platform.model.schema import FeatureSchema, load_schema

RAW_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
)
TRAIN_FILE = "adult.data.gz"
TEST_FILE = "adult.test.gz"
CONTACT_DOMAIN = "example.invalid"
"""RFC 2606 reserves `.invalid`: no generated address can ever reach a person."""


@dataclass(frozen=True)
class AdultDataset:
    """Train and test frames with the schema they satisfy and the digest of the raw files."""

    train: pd.DataFrame
    test: pd.DataFrame
    schema: FeatureSchema
    digest: str


def default_data_dir() -> Path:
    return Path(str(resources.files("reference.platform").joinpath("datasets", "adult")))


def load_adult(directory: Path | None = None, schema: FeatureSchema | None = None) -> AdultDataset:
    """Load, clean and validate both splits; raise `InvalidDataset` naming the bad file."""
    directory = directory or default_data_dir()
    schema = schema or load_schema()
    train_path, test_path = directory / TRAIN_FILE, directory / TEST_FILE
    train = _read_split(train_path, schema, first_id=1, skip_comment=False)
    test = _read_split(test_path, schema, first_id=len(train) + 1, skip_comment=True)
    digest = hashlib.sha256(_file_digest(train_path).encode() + _file_digest(test_path).encode())
    return AdultDataset(train=train, test=test, schema=schema, digest=digest.hexdigest())


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_split(
    path: Path, schema: FeatureSchema, *, first_id: int, skip_comment: bool
) -> pd.DataFrame:
    if not path.is_file():
        raise InvalidDataset(f"data file {path} is missing")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            raw = pd.read_csv(
                handle,
                names=list(RAW_COLUMNS),
                skipinitialspace=True,
                na_values="?",
                skiprows=1 if skip_comment else 0,
                skip_blank_lines=True,
                on_bad_lines="error",
                dtype=str,
            )
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InvalidDataset(f"data file {path} is corrupt: {error}") from error
    if raw.empty:
        raise InvalidDataset(f"data file {path} holds no rows")
    if raw[list(RAW_COLUMNS)].iloc[:, -1].isna().any():
        raise InvalidDataset(
            f"data file {path}: some rows have fewer than {len(RAW_COLUMNS)} fields"
        )
    try:
        return _clean(raw, schema, first_id=first_id)
    except InvalidFeatures as error:
        raise InvalidDataset(
            f"data file {path} does not match the feature schema: {error}"
        ) from error


def _clean(raw: pd.DataFrame, schema: FeatureSchema, *, first_id: int) -> pd.DataFrame:
    frame = pd.DataFrame(index=raw.index)
    numbers = list(range(first_id, first_id + len(raw)))
    frame["applicant_id"] = [f"A{n:07d}" for n in numbers]
    frame["contact_email"] = [f"applicant-{n:07d}@{CONTACT_DOMAIN}" for n in numbers]
    for column in schema.features:
        values = raw[column.name]
        if column.kind == "numeric":
            converted = pd.to_numeric(values, errors="coerce")
            if converted.isna().any():
                bad = values[converted.isna()].iloc[0]
                raise InvalidFeatures(f"column '{column.name}' holds non-numeric value {bad!r}")
            frame[column.name] = converted.astype("float64")
        else:
            frame[column.name] = values.astype("string").astype(object)
    income = raw[schema.label.source_column].str.rstrip(".")
    unknown = sorted(set(income) - {schema.label.positive_value, "<=50K"})
    if unknown:
        raise InvalidFeatures(
            f"column '{schema.label.source_column}' has unknown labels {unknown[:3]}"
        )
    frame[schema.label.name] = (income == schema.label.positive_value).astype("int64")
    frame = frame.reset_index(drop=True)
    schema.validate_frame(frame)
    return frame
