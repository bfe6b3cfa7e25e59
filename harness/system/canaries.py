"""Canaries: recognisable values planted in the declared personal-data columns of what the
harness sends, so that finding one in the target's logs or stores proves the target wrote
personal data in clear, and nothing else the tool sends can be mistaken for that.

A canary is `readiness-canary-<run>-<n>`, written as an e-mail address at the reserved
`.invalid` domain where the column held e-mail addresses (a validator may insist), so it
reaches no one. Only text columns get canaries: a number cannot be told from the data.
"""

import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from harness.system.instances import InstanceSchema, Kind

PREFIX = "readiness-canary-"
PATTERN = re.compile(r"readiness-canary-[0-9a-f]{8}-[0-9]+")
DOMAIN = "canary.invalid"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def run_token() -> str:
    return secrets.token_hex(4)


def planted_columns(schema: InstanceSchema, personal: Iterable[str]) -> list[str]:
    """The personal-data columns sent as free text: the ones a canary can go in (a canary
    in a category column would be an unseen category, refused for that)."""
    wanted = set(personal)
    return [c.name for c in schema.columns
            if c.name in wanted and c.kind is Kind.TEXT]  # fmt: skip


def canary(token: str, number: int, like: Any) -> str:
    value = f"{PREFIX}{token}-{number}"
    return f"{value}@{DOMAIN}" if isinstance(like, str) and EMAIL.match(like) else value


def plant(
    row: Mapping[str, Any], columns: Iterable[str], token: str, number: int
) -> dict[str, Any]:
    """`row` with a canary in each of `columns` that holds a value."""
    planted = dict(row)
    for name in columns:
        if planted.get(name) is not None:
            planted[name] = canary(token, number, planted[name])
    return planted


def found_in(text: str) -> list[str]:
    """The canaries in a text, each once."""
    return sorted(set(PATTERN.findall(text)))
