import shutil
from pathlib import Path

from reports.app.state import _signature
from reports.bundles import MAX_DEPTH, discover
from tests.reports.samples import PRODUCTION, SAMPLE_RUNS


def test_a_bundle_as_deep_as_the_catalogue_looks_changes_the_cache_signature(
    tmp_path: Path,
) -> None:
    """The app reloads its catalogue when the signature changes: a bundle the catalogue
    finds must change it, however deep it lies."""
    before = _signature(tmp_path)
    deep = tmp_path.joinpath(*(f"level-{i}" for i in range(MAX_DEPTH - 1)), PRODUCTION)
    shutil.copytree(SAMPLE_RUNS / PRODUCTION, deep)
    assert [run.run_id for run in discover(tmp_path).runs] == [PRODUCTION]
    assert _signature(tmp_path) != before
