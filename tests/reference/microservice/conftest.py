"""The running production microservice that the operating tests share, one per module."""

from collections.abc import Iterator

import pytest

from readiness.home import Home
from tests.reference.microservice.running import Api, deployment


@pytest.fixture(scope="module")
def api(operated_home: Home) -> Iterator[Api]:
    with deployment(operated_home, "production", "champion", "--faults") as descriptor:
        yield Api(descriptor)
