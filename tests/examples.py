"""Example inputs shared by tests: one valid applicant row, as a client would send it."""

from typing import Any

VALID_ROW: dict[str, Any] = {
    "age": 40, "workclass": "Private", "fnlwgt": 100000.0, "education": "HS-grad",
    "education_num": 9, "marital_status": "Divorced", "occupation": None,
    "relationship": "Unmarried", "capital_gain": 0, "capital_loss": 0, "hours_per_week": 40,
    "native_country": "Peru",
}  # fmt: skip


class FakeClock:
    """A real clock double: time moves only when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now
