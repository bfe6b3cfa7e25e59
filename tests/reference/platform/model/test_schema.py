from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from readiness.errors import InvalidFeatures, InvalidSchema
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.schema import UNKNOWN_CATEGORY_INDEX, RecordEncoder, load_schema


def test_the_packaged_schema_marks_sensitive_and_pii_columns() -> None:
    schema = load_schema()
    assert schema.sensitive == ("race", "sex")
    assert schema.pii == ("contact_email",)
    assert {c.name for c in schema.model_inputs}.isdisjoint({"race", "sex", "contact_email"})


def test_an_unknown_column_is_named(adult: AdultDataset) -> None:
    frame = adult.test.head(3).assign(favourite_colour="blue")
    with pytest.raises(InvalidFeatures, match="unknown column 'favourite_colour'"):
        adult.schema.validate_frame(frame)


def test_a_missing_column_is_named(adult: AdultDataset) -> None:
    with pytest.raises(InvalidFeatures, match="missing column 'age'"):
        adult.schema.validate_frame(adult.test.head(3).drop(columns=["age"]))


def test_an_out_of_range_value_is_named(adult: AdultDataset) -> None:
    frame = adult.test.head(3).copy()
    frame.loc[0, "hours_per_week"] = 170
    with pytest.raises(InvalidFeatures, match=r"'hours_per_week' has 1 values outside \[1, 100\]"):
        adult.schema.validate_frame(frame)


def test_a_null_in_a_required_column_is_named(adult: AdultDataset) -> None:
    frame = adult.test.head(3).copy()
    frame.loc[1, "education"] = None
    with pytest.raises(InvalidFeatures, match="'education' has 1 missing values"):
        adult.schema.validate_frame(frame)


def test_unseen_and_missing_categories_encode_as_the_unknown_index(adult: AdultDataset) -> None:
    frame = adult.test.head(2).copy()
    frame["workclass"] = ["Private", None]
    numeric, categorical = adult.schema.encode(frame)
    position = [c.name for c in adult.schema.categorical_inputs].index("workclass")
    assert categorical[1, position] == UNKNOWN_CATEGORY_INDEX
    assert categorical[0, position] == 1 + adult.schema.column("workclass").categories.index(
        "Private"
    )
    assert numeric.dtype == np.float32
    assert numeric.shape == (2, len(adult.schema.numeric_inputs))


def test_the_digest_changes_when_the_interface_changes() -> None:
    schema = load_schema()
    changed = schema.model_copy(update={"version": schema.version + 1})
    assert changed.digest() != schema.digest()
    assert load_schema().digest() == schema.digest()


def test_a_categorical_column_without_categories_is_refused_with_its_place(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(
        "name: s\nversion: 1\nentity: id\n"
        "label: {name: y, source_column: y_raw, positive_value: 'yes'}\n"
        "columns:\n  - {name: id, role: entity, kind: text}\n"
        "  - {name: colour, kind: categorical}\n"
    )
    with pytest.raises(
        InvalidSchema, match=r"schema\.yaml: columns\.1: .*'colour' lists no categories"
    ):
        load_schema(path)


def test_unreadable_schema_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("name: [unclosed")
    with pytest.raises(InvalidSchema, match=r"feature schema .*schema\.yaml is not valid YAML"):
        load_schema(path)


def test_frames_from_the_data_set_satisfy_the_schema(adult: AdultDataset) -> None:
    adult.schema.validate_frame(pd.concat([adult.train, adult.test]))


def test_records_encode_as_their_frame_does(adult: AdultDataset) -> None:
    rows = adult.test.head(200).astype(object)
    records: list[dict[str, Any]] = [
        {str(k): None if isinstance(v, float) and np.isnan(v) else v for k, v in r.items()}
        for r in rows.to_dict("records")
    ]
    records[0] = {**records[0], "workclass": "Never-seen", "age": None}
    expected = adult.schema.encode(pd.DataFrame(records))
    numeric, categorical = RecordEncoder(adult.schema).encode(records)
    np.testing.assert_array_equal(numeric, expected[0])
    np.testing.assert_array_equal(categorical, expected[1])
