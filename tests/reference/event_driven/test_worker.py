from dataclasses import fields
from pathlib import Path

import pytest

from readiness.errors import InvalidInput
from reference.event_driven.metrics import DESCRIPTIONS
from reference.event_driven.stage import StageCounters
from reference.event_driven.worker import build_stage, load_config


def test_every_stage_counter_has_a_prometheus_counter() -> None:
    assert set(DESCRIPTIONS) == {f.name for f in fields(StageCounters)}


def test_a_configuration_missing_a_field_names_it(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("broker_url: nats://127.0.0.1:4222\n")
    with pytest.raises(InvalidInput, match=r"pipeline\.yaml: tracking_uri: Field required$"):
        load_config(path)


def test_an_unknown_stage_is_refused(tmp_path: Path) -> None:
    config = {"broker_url": "nats://127.0.0.1:1", "tracking_uri": "sqlite:///x.db", "model": "m",
              "audit_url": "sqlite:///a.db", "pii_policy": "p.yaml", "pii_key_file": "k",
              "cache_dir": str(tmp_path), "actions_db": str(tmp_path / "a.db")}  # fmt: skip
    path = tmp_path / "pipeline.yaml"
    path.write_text("\n".join(f"{k}: {v}" for k, v in config.items()))
    with pytest.raises(
        InvalidInput, match="STAGE must be one of enrich, infer, sink, action, not 'score'"
    ):
        build_stage("score", load_config(path))
