"""The two profiles every reference architecture runs in: production (every feature the
framework asks for) and prototype (one process, none of them), for the side-by-side scores."""

from enum import StrEnum

from readiness.errors import InvalidInput


class Profile(StrEnum):
    PRODUCTION = "production"
    PROTOTYPE = "prototype"


PROFILES = tuple(profile.value for profile in Profile)


def profile_of(name: str) -> Profile:
    """The profile named; InvalidInput naming `--profile` otherwise."""
    try:
        return Profile(name)
    except ValueError:
        raise InvalidInput(f"--profile must be production or prototype, not '{name}'") from None
