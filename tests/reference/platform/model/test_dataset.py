import gzip
import shutil
from pathlib import Path

import pytest

from readiness.errors import InvalidDataset
from reference.platform.model.dataset import (
    CONTACT_DOMAIN,
    TEST_FILE,
    TRAIN_FILE,
    AdultDataset,
    default_data_dir,
    load_adult,
)


def copy_of_the_data(tmp_path: Path) -> Path:
    folder = tmp_path / "adult"
    shutil.copytree(default_data_dir(), folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def row_with(race: str, label: str) -> str:
    fields = ["40", "Private", "100000", "HS-grad", "9", "Divorced", "Sales", "Unmarried", race]
    return ", ".join([*fields, "Female", "0", "0", "40", "Peru", label]) + "\n"


def test_both_splits_load_with_every_row(adult: AdultDataset) -> None:
    assert len(adult.train) == 32_561
    assert len(adult.test) == 16_281


def test_missing_values_are_nulls_not_question_marks(adult: AdultDataset) -> None:
    for frame in (adult.train, adult.test):
        assert not (frame == "?").any().any()
    assert adult.train["workclass"].isna().sum() > 0


def test_test_labels_lose_their_period_and_become_zero_or_one(adult: AdultDataset) -> None:
    assert set(adult.test["label"].unique()) == {0, 1}
    assert adult.test["label"].mean() == pytest.approx(3846 / 16281)


def test_every_row_gets_a_unique_synthetic_applicant_and_contact(adult: AdultDataset) -> None:
    ids = list(adult.train["applicant_id"]) + list(adult.test["applicant_id"])
    assert len(set(ids)) == len(ids)
    contacts = adult.train["contact_email"]
    assert contacts.str.endswith(f"@{CONTACT_DOMAIN}").all()
    assert contacts.is_unique


def test_the_digest_identifies_the_raw_files(adult: AdultDataset, tmp_path: Path) -> None:
    assert load_adult().digest == adult.digest
    folder = copy_of_the_data(tmp_path)
    with gzip.open(folder / TEST_FILE, "at") as handle:
        handle.write(row_with(race="White", label="<=50K."))
    assert load_adult(folder).digest != adult.digest


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    folder = copy_of_the_data(tmp_path)
    (folder / TRAIN_FILE).unlink()
    with pytest.raises(InvalidDataset, match=r"adult\.data\.gz is missing"):
        load_adult(folder)


def test_a_corrupt_file_is_named(tmp_path: Path) -> None:
    folder = copy_of_the_data(tmp_path)
    (folder / TEST_FILE).write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InvalidDataset, match=r"adult\.test\.gz is corrupt"):
        load_adult(folder)


def test_a_truncated_row_is_refused(tmp_path: Path) -> None:
    folder = copy_of_the_data(tmp_path)
    with gzip.open(folder / TRAIN_FILE, "at") as handle:
        handle.write("39, State-gov, 77516\n")
    with pytest.raises(InvalidDataset, match=r"adult\.data\.gz"):
        load_adult(folder)


def test_a_value_outside_the_schema_names_the_column(tmp_path: Path) -> None:
    folder = copy_of_the_data(tmp_path)
    with gzip.open(folder / TRAIN_FILE, "at") as handle:
        handle.write(row_with(race="Martian", label="<=50K"))
    with pytest.raises(InvalidDataset, match=r"column 'race' has unknown categories \['Martian'\]"):
        load_adult(folder)
