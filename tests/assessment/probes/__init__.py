import pytest

pytest.register_assert_rewrite("tests.assessment.probes.facts")
