"""The system's rows and its request schema: what is sent, what is kept aside, what the
rows show, and the errors that name the field at fault."""

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from harness.system.canaries import PATTERN, found_in, plant, planted_columns
from harness.system.instances import Kind, from_json_schema, infer_schema
from harness.system.loading import load_system
from harness.system.rows import SystemRows
from harness.target import Target
from readiness.descriptor import DataSpec
from readiness.errors import InvalidDataset, InvalidDescriptor
from tests.harness.double import double_descriptor

FRAME = pd.DataFrame({
    "amount": [10.5, 20.0, None, 40.25] * 5, "count": [1, 2, 3, 4] * 5,
    "colour": ["red", "blue", "red", "blue"] * 5,
    "note": [f"free text {n}" for n in range(20)], "flag": [True, False] * 10,
})  # fmt: skip


@pytest.mark.parametrize(
    ("column", "kind", "nullable"),
    [("amount", Kind.NUMBER, True), ("count", Kind.INTEGER, False),
     ("colour", Kind.CATEGORY, False), ("note", Kind.TEXT, False),
     ("flag", Kind.BOOLEAN, False)],
)  # fmt: skip
def test_the_schema_inferred_from_rows_says_what_the_rows_show(
    column: str, kind: Kind, nullable: bool
) -> None:
    found = infer_schema(FRAME, list(FRAME.columns)).column(column)
    assert found is not None
    assert (found.kind, found.nullable, found.declared) == (kind, nullable, False)


def test_an_inferred_schema_asserts_no_range_or_category_it_only_saw() -> None:
    schema = infer_schema(FRAME, ["amount", "colour"])
    properties = schema.json_schema()["properties"]
    assert properties["amount"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}
    assert properties["colour"] == {"type": "string"}
    colour = schema.column("colour")
    assert colour is not None
    assert colour.categories == ("blue", "red")


def test_a_declared_schema_takes_the_full_row_branch_of_a_union() -> None:
    row = {
        "type": "object",
        "required": ["age", "job"],
        "properties": {
            "age": {"type": "number", "minimum": 16, "maximum": 99},
            "job": {"enum": ["a", "b"]},
            "email": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    }
    reference = {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "string"}, "age": {"type": "number"}, "job": {"type": "string"},
        "email": {"type": "string"}}}  # fmt: skip
    schema = from_json_schema({"oneOf": [reference, row]}, "openapi")
    assert schema.names == ["age", "job", "email"]
    age, job, email = schema.columns
    assert (age.minimum, age.maximum, age.nullable) == (16, 99, False)
    assert job.categories == ("a", "b")
    assert email.nullable


def test_a_schema_of_no_scalar_columns_is_refused_naming_the_property() -> None:
    with pytest.raises(ValueError, match="property 'tags' is not a scalar column"):
        from_json_schema({"type": "object", "properties": {"tags": {"type": "array"}}}, "file")


@pytest.mark.parametrize(
    ("spec", "message"),
    [(DataSpec(rows=Path("missing.csv")), r"data\.rows: .*missing\.csv does not exist"),
     (DataSpec(rows=Path("rows.csv"), label="outcome"), r"data\.label: no column 'outcome'"),
     (DataSpec(rows=Path("rows.csv"), groups=["sex"]), r"data\.groups: no column 'sex'"),
     (DataSpec(rows=Path("rows.csv"), personal=["mail"]), r"data\.personal: no column 'mail'"),
     (DataSpec(rows=Path("rows.txt")), r"data\.rows: .*rows\.txt holds no rows"),
     (DataSpec(rows=Path("rows.json")), r"expected a \.csv or \.parquet file")],
    ids=["a missing file", "a missing label", "a missing group", "a missing personal column",
         "an empty file", "another format"],
)  # fmt: skip
def test_bad_data_is_refused_naming_the_field(spec: DataSpec, message: str, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("age,job\n40,a\n")
    (tmp_path / "rows.txt").write_text("age,job\n")
    (tmp_path / "rows.json").write_text("[]")
    with pytest.raises(InvalidDataset, match=message):
        SystemRows.load(spec, tmp_path)


def test_label_group_and_id_columns_are_kept_aside_unless_the_schema_names_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "rows.csv").write_text("id,age,sex,label\n1,40,f,0\n2,50,m,1\n")
    rows = SystemRows.load(DataSpec(rows=Path("rows.csv"), label="label", groups=["sex"],
                                    id="id"), tmp_path)  # fmt: skip
    assert rows.default_inputs() == ["age"]
    assert rows.records(["age", "sex"]) == [{"age": 40, "sex": "f"}, {"age": 50, "sex": "m"}]
    with pytest.raises(InvalidDataset, match="lacks the input columns income"):
        rows.records(["age", "income"])


def test_canaries_go_in_free_text_personal_columns_only_and_are_found_again() -> None:
    schema = infer_schema(FRAME, ["note", "colour", "amount"])
    assert planted_columns(schema, ["note", "colour", "amount"]) == ["note"]
    planted = plant({"note": "a@b.example", "amount": 1}, ["note"], "0badcafe", 7)
    assert planted["note"] == "readiness-canary-0badcafe-7@canary.invalid"
    assert PATTERN.fullmatch("readiness-canary-0badcafe-7")
    assert found_in(f"log: {planted} and again {planted}") == ["readiness-canary-0badcafe-7"]
    assert found_in("client42@example.invalid wrote") == []


def test_the_request_schema_file_comes_first(tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["age"], "properties": {"age": {"type": "integer"}}}
    (tmp_path / "instance.json").write_text(json.dumps(schema))
    (tmp_path / "rows.csv").write_text("age,job,label\n20,a,0\n21,b,1\n")
    data = DataSpec(rows=Path("rows.csv"), label="label", instance_schema=Path("instance.json"))
    path = double_descriptor("http://127.0.0.1:9", tmp_path, data=data)
    system = load_system(Target.from_file(path))
    assert system.schema.source == "file"
    assert system.instances(2) == [{"age": 20}, {"age": 21}]


def test_a_system_without_rows_repeats_its_built_instance_as_often_as_asked(
    tmp_path: Path,
) -> None:
    """A burst of a batch of 8 holds 8 instances, whether or not the system has rows."""
    schema = {"type": "object", "required": ["age"], "properties": {"age": {"type": "integer"}}}
    (tmp_path / "instance.json").write_text(json.dumps(schema))
    (tmp_path / "rows.csv").write_text("age,label\n20,0\n")
    data = DataSpec(rows=Path("rows.csv"), label="label", instance_schema=Path("instance.json"))
    system = load_system(Target.from_file(double_descriptor("http://127.0.0.1:9", tmp_path,
                                                            data=data)))  # fmt: skip
    without_rows = replace(system, traffic=[])
    assert without_rows.instances(8) == [{"age": 0}] * 8
    assert without_rows.instances() == [{"age": 0}]


def test_no_rows_and_no_schema_source_is_a_clear_error(tmp_path: Path) -> None:
    path = double_descriptor("http://127.0.0.1:9", tmp_path, data=None)
    with pytest.raises(InvalidDescriptor, match=r"no request schema was found .* no rows"):
        load_system(Target.from_file(path))
