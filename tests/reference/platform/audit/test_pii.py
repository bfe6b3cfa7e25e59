"""PII never reaches the audit store raw: hashed with a secret key, or dropped, by policy."""

import stat
from pathlib import Path

import pytest

from readiness.errors import InvalidConfiguration, InvalidPolicy
from reference.platform.audit.pii import (
    KEY_VARIABLE,
    PiiAction,
    PiiPolicy,
    PiiRedactor,
    load_pii_key,
    load_pii_policy,
)
from reference.platform.audit.prediction_log import Answer, PredictionLog
from reference.platform.model.schema import FeatureSchema, load_schema
from tests.examples import VALID_ROW

EMAIL, APPLICANT = "jane.roe.4821@example.invalid", "A7654321"
KEY, OTHER_KEY = b"k" * 32, b"o" * 32


@pytest.fixture(scope="module")
def schema() -> FeatureSchema:
    return load_schema()


@pytest.fixture
def redactor(schema: FeatureSchema) -> PiiRedactor:
    return PiiRedactor(load_pii_policy(), schema, KEY)


def applicant_row() -> dict[str, object]:
    return {**VALID_ROW, "applicant_id": APPLICANT, "contact_email": EMAIL,
            "sex": "Female", "race": "Black"}  # fmt: skip


def test_contact_email_and_applicant_id_never_reach_the_database_file(
    tmp_path: Path, redactor: PiiRedactor
) -> None:
    log = PredictionLog(f"sqlite:///{tmp_path / 'audit.db'}", redactor)
    log.record("r-1", "acme", "m", [Answer(0, "1", 0.8, 1)], [applicant_row()], latency_ms=3.0)
    log.record_feedback([("r-1", 0, 1)])
    (logged,) = log.predictions_since(0, 10)
    log.close()
    written = b"".join(path.read_bytes() for path in tmp_path.glob("audit.db*"))  # + WAL
    assert EMAIL.encode() not in written
    assert APPLICANT.encode() not in written
    assert logged.features["contact_email"] == redactor.keyed_hash(EMAIL)
    assert logged.features["applicant_id"] == redactor.keyed_hash(APPLICANT)


def test_sensitive_attributes_and_model_inputs_are_kept_for_monitoring(
    redactor: PiiRedactor,
) -> None:
    kept = redactor.apply(applicant_row())
    assert (kept["sex"], kept["race"], kept["age"], kept["occupation"]) == (
        "Female", "Black", 40, None
    )  # fmt: skip


def test_a_column_the_schema_does_not_know_is_dropped(redactor: PiiRedactor) -> None:
    assert "phone" not in redactor.apply({**applicant_row(), "phone": "+44 20 7946 0000"})


def test_a_log_without_a_policy_keeps_no_features(tmp_path: Path) -> None:
    log = PredictionLog(f"sqlite:///{tmp_path / 'audit.db'}")
    log.record("r-1", "acme", "m", [Answer(0, "1", 0.8, 1)], [applicant_row()])
    (logged,) = log.predictions_since(0, 10)
    log.close()
    assert logged.features == {}


def test_the_same_value_hashes_alike_under_one_key_and_apart_under_another(
    schema: FeatureSchema,
) -> None:
    policy = load_pii_policy()
    one, again = PiiRedactor(policy, schema, KEY), PiiRedactor(policy, schema, KEY)
    other = PiiRedactor(policy, schema, OTHER_KEY)
    assert one.keyed_hash(EMAIL) == again.keyed_hash(EMAIL)
    assert one.keyed_hash(EMAIL) != other.keyed_hash(EMAIL)
    assert one.keyed_hash(EMAIL) != one.keyed_hash(APPLICANT)


def test_a_policy_can_drop_a_column_instead(schema: FeatureSchema) -> None:
    policy = PiiPolicy(name="strict", columns={"contact_email": PiiAction.DROP})
    assert "contact_email" not in PiiRedactor(policy, schema, KEY).apply(applicant_row())


POLICY_ERRORS = {
    "keeping a PII column": (
        {"name": "leaky", "columns": {"contact_email": "keep"}},
        "PII policy 'leaky': column 'contact_email' is PII, so it must be hashed or dropped",
    ),
    "naming a column the schema lacks": (
        {"name": "stale", "columns": {"email": "hash"}},
        "PII policy 'stale' names columns that schema 'adult-applicant' lacks: email",
    ),
}


@pytest.mark.parametrize(("document", "message"), POLICY_ERRORS.values(), ids=POLICY_ERRORS.keys())
def test_a_policy_that_does_not_protect_pii_is_refused(
    schema: FeatureSchema, document: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidPolicy, match=message):
        PiiPolicy.model_validate(document).actions(schema)


def test_a_policy_file_whose_pii_role_keeps_raw_values_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pii.yaml"
    path.write_text("name: leaky\nroles: {pii: keep}\n")
    with pytest.raises(
        InvalidPolicy, match="roles: Value error, PII columns must be hashed or dropped"
    ):
        load_pii_policy(path)


def test_the_key_is_generated_once_readable_only_by_its_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    key_file = tmp_path / "home" / "pii.key"
    first = load_pii_key(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_pii_key(key_file) == first
    assert len(first) == 64


def test_the_environment_key_takes_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, "a-secret-from-the-vault-0123456789")
    assert load_pii_key(tmp_path / "pii.key") == b"a-secret-from-the-vault-0123456789"
    assert not (tmp_path / "pii.key").exists()


def test_a_short_environment_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_VARIABLE, "short")
    with pytest.raises(InvalidConfiguration, match=f"{KEY_VARIABLE} is too short"):
        load_pii_key(tmp_path / "pii.key")


def test_a_key_file_open_to_other_users_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    key_file = tmp_path / "pii.key"
    key_file.write_text("0123456789abcdef0123456789abcdef\n")
    key_file.chmod(0o644)
    with pytest.raises(InvalidConfiguration, match=r"is open to other users \(mode 0644\)"):
        load_pii_key(key_file)
