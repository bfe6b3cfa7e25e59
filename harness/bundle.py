"""Writing the evidence bundle as a run goes (its format is `readiness.bundle`'s)."""

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel

from harness.events import RunObserver
from harness.recording import SAMPLE_COLUMNS, Recording
from harness.scenario import LoadedScenario
from readiness.bundle import (
    MANIFEST_FILE,
    Evidence,
    Manifest,
    ScenarioEntry,
    ScenarioResult,
    StepRecord,
)
from readiness.errors import InvalidInput

TRAFFIC_QUANTILES = {"latency_p50_ms": 0.5, "latency_p95_ms": 0.95, "latency_p99_ms": 0.99}


def scenario_entry(loaded: LoadedScenario, seed: int) -> ScenarioEntry:
    digest = hashlib.sha256(loaded.text.encode()).hexdigest()
    return ScenarioEntry(name=loaded.name, file=str(loaded.path), sha256=digest, seed=seed)


def traffic_series(requests: pd.DataFrame) -> pd.DataFrame:
    """Per-second series of the traffic: throughput, error rate and latency percentiles per
    kind of request (and end to end, by the second sent, where results were followed up),
    in the samples' long format."""
    rows: list[tuple[float, str, str, str, float]] = []
    if requests.empty:
        return pd.DataFrame(columns=list(SAMPLE_COLUMNS))
    seconds = requests["time"] // 1
    for (key, kind), bucket in requests.groupby([seconds, "kind"]):
        second = float(str(key))
        labels = json.dumps({"kind": kind})
        status = bucket["status"]
        errors = float(((status == 0) | (status >= 500)).mean())
        refused = float(((status >= 400) & (status < 500)).mean())
        rows += [(second, "traffic", "requests_per_s", labels, float(len(bucket))),
                 (second, "traffic", "error_rate", labels, errors),
                 (second, "traffic", "refused_rate", labels, refused)]  # fmt: skip
        answered = bucket[(status >= 200) & (status < 300)]["latency_ms"].to_numpy()
        if answered.size:
            rows += [(second, "traffic", name, labels, float(np.quantile(answered, q)))
                     for name, q in TRAFFIC_QUANTILES.items()]  # fmt: skip
        if "completed_at" in bucket:
            end_to_end = ((bucket["completed_at"].astype(float) - bucket["time"]) * 1000).dropna()
            if not end_to_end.empty:
                rows += [(second, "traffic", f"end_to_end_{name}", labels,
                          float(np.quantile(end_to_end.to_numpy(), q)))
                         for name, q in TRAFFIC_QUANTILES.items()]  # fmt: skip
        versions = bucket["version"].fillna("").astype(str)
        versions = versions[versions != ""]
        for version, count in versions.value_counts().items():
            rows.append((second, "traffic", "answers_by_version",
                         json.dumps({"kind": kind, "version": version}), float(count)))  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=list(SAMPLE_COLUMNS))


def refuse_existing_bundle(folder: Path) -> None:
    """InvalidInput when `folder` already holds a bundle: a second run's journal and
    evidence appended to the first's would mix two runs under one manifest."""
    if any((folder / name).is_file() for name in (MANIFEST_FILE, "journal.jsonl")):
        raise InvalidInput(f"--out {folder} already holds a run's bundle: choose another "
                           "folder, or remove it first")  # fmt: skip


class BundleWriter(RunObserver):
    """Writes the bundle as the run goes, so an interrupted run still leaves its journal."""

    def __init__(self, folder: Path) -> None:
        refuse_existing_bundle(folder)
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("timeseries", "requests", "scenarios"):
            (folder / name).mkdir(exist_ok=True)
        self.journal = folder / "journal.jsonl"
        self.evidence_file = folder / "evidence.jsonl"
        self.journal.touch()
        self.evidence_file.touch()

    def write_manifest(self, manifest: Manifest) -> None:
        temporary = self.folder / "manifest.json.tmp"
        temporary.write_text(manifest.model_dump_json(indent=2))
        temporary.replace(self.folder / MANIFEST_FILE)

    def _append(self, path: Path, record: BaseModel) -> None:
        with path.open("a") as handle:
            handle.write(record.model_dump_json() + "\n")

    def run_started(self, manifest: Manifest) -> None:
        self.write_manifest(manifest)

    def scenario_started(self, scenario: LoadedScenario, seed: int) -> None:
        (self.folder / "scenarios" / f"{scenario.name}.yaml").write_text(scenario.text)

    def step_finished(self, record: StepRecord) -> None:
        self._append(self.journal, record)

    def evidence(self, record: Evidence) -> None:
        self._append(self.evidence_file, record)

    def scenario_finished(self, result: ScenarioResult, recording: Recording) -> None:
        series = pd.concat(
            [frame for frame in (recording.samples, traffic_series(recording.requests))
             if not frame.empty] or [pd.DataFrame(columns=list(SAMPLE_COLUMNS))],
            ignore_index=True,
        )  # fmt: skip
        series = series.astype({"time": float, "value": float, "source": str, "metric": str,
                                "labels": str})  # fmt: skip
        series.to_parquet(self.folder / "timeseries" / f"{result.name}.parquet", index=False)
        requests = recording.requests.astype(
            {"version": str, "kind": str, "error": str, "transform": str, "defect": str,
             "request_id": str}
        )  # fmt: skip
        requests.to_parquet(self.folder / "requests" / f"{result.name}.parquet", index=False)

    def run_finished(self, manifest: Manifest, results: list[ScenarioResult]) -> None:
        self.write_manifest(manifest)


def write_refusal(folder: Path, status: str, errors: list[str], scenarios: list[str]) -> Path:
    """A bundle for a run refused before it started (invalid scenarios): it says why, and
    that none of the scenarios asked for was run or measured."""
    manifest = Manifest.begin(folder, seed=0)
    manifest.status, manifest.errors, manifest.ended = status, errors, manifest.started
    manifest.scenarios = [
        ScenarioEntry(name=name, file="", sha256="", seed=0) for name in scenarios
    ]
    BundleWriter(folder).write_manifest(manifest)
    return folder


def new_run_id(target_name: str) -> str:
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{target_name}"
