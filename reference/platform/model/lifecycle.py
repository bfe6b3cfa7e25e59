"""The model lifecycle in one call: data -> features -> teacher -> student -> ONNX -> INT8 ->
evaluation -> MLflow run -> registry (approval gate, champion).

`train()` is the composition root that `readiness train` and the tests call; it reports
progress through a callback, so it works the same with a Rich progress bar or none.
"""

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import numpy.typing as npt
import onnx
import pandas as pd
from pydantic import BaseModel

from readiness.errors import ApprovalRefused
from readiness.home import Home
from readiness.provenance import code_version, sha256_file
from reference.platform.audit.lineage import LineageRecord, record_lineage
from reference.platform.explain.importance import GlobalImportance, global_importance
from reference.platform.features.repo import open_store, publish
from reference.platform.features.retrieval import training_frame
from reference.platform.features.timeline import build_timeline
from reference.platform.model.architectures import (
    Ensemble,
    InputSpec,
    TabularNet,
    multiply_accumulates,
    parameter_count,
)
from reference.platform.model.dataset import AdultDataset, load_adult
from reference.platform.model.evaluation import (
    DECISION_THRESHOLD,
    VariantMetrics,
    measure_cost,
    measure_quality,
)
from reference.platform.model.export import export_onnx
from reference.platform.model.fairness import (
    FairnessPolicy,
    FairnessReport,
    assess_fairness,
    default_policy_path,
    load_policy,
)
from reference.platform.model.quantise import QuantisationMode, quantise
from reference.platform.model.registry import FAIRNESS_TAG, ModelRegistry, RegisteredVersion
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.served import SERVED_MODEL, SERVED_VARIANT
from reference.platform.model.tracking import experiment_id
from reference.platform.model.training import (
    ProgressCallback,
    TrainingConfig,
    TrainingData,
    distil_student,
    train_teacher,
    training_data,
    training_device,
)
from reference.platform.monitoring.reference_store import REFERENCE_SHA_TAG, log_monitor_reference
from reference.platform.monitoring.training_reference import MonitorReference, fit_reference

EXPERIMENT = "adult-income"
STAGES = ("data", "features", "teacher", "student", "export", "evaluate", "register")


StageCallback = Callable[[str], None]
"""Called with the name of each stage of `STAGES` as it starts."""


@dataclass(frozen=True)
class ModelSet:
    """The trained networks and the ONNX files of every variant, by variant name."""

    teacher: Ensemble
    student: TabularNet
    files: dict[str, Path]


def build_models(
    spec: InputSpec,
    training: TrainingData,
    config: TrainingConfig,
    folder: Path,
    parity_rows: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]],
    on_stage: StageCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> ModelSet:
    """Train, distil, export and quantise: the four variants every evaluation compares."""
    stage = on_stage or (lambda _: None)
    stage("teacher")
    teacher = train_teacher(spec, training, config, on_progress)
    stage("student")
    student = distil_student(spec, training, teacher, config, on_progress)
    stage("export")
    files = {
        "teacher": export_onnx(teacher, folder / "teacher.onnx", *parity_rows),
        "student": export_onnx(student, folder / "student.onnx", *parity_rows),
    }
    calibration = (training.numeric[:4096], training.categorical[:4096])
    files["student_int8"] = quantise(
        files["student"], folder / "student_int8.onnx", QuantisationMode.STATIC, calibration
    )
    files["student_int8_dynamic"] = quantise(
        files["student"], folder / "student_int8_dynamic.onnx", QuantisationMode.DYNAMIC
    )
    return ModelSet(teacher=teacher, student=student, files=files)


class Retention(BaseModel):
    accuracy: float
    auc: float


class RegistrySummary(BaseModel):
    tracking_uri: str
    model: str
    registered_version: str
    semver: str
    champion_version: str | None
    approved: bool
    refusal: str | None


class LoggedServedModel(BaseModel):
    """The served model as MLflow stores it; its hash is of the file a server will load."""

    run_id: str
    model_id: str
    source: str
    sha256: str
    code_version: str
    monitor_reference_sha256: str


class Evaluation(BaseModel):
    """What was measured of every variant: quality and cost, fairness, explanation."""

    metrics: dict[str, VariantMetrics]
    fairness: dict[str, FairnessReport]
    importance: GlobalImportance


class TrainingSummary(BaseModel):
    """What `readiness train --json` prints; every figure here was measured in this run."""

    teacher: VariantMetrics
    student: VariantMetrics
    student_int8: VariantMetrics
    student_int8_dynamic: VariantMetrics
    retention: Retention
    cost_ratio: float
    """Teacher cost over student INT8 cost, by measured throughput at batch 256."""
    int8_speedup: float
    """Student INT8 (static) throughput over student FP32 throughput, batch 256."""
    fairness: dict[str, FairnessReport]
    importance: GlobalImportance
    registry: RegistrySummary
    run_id: str
    dataset_digest: str
    code_version: str
    device: str
    training_rows: int
    quick: bool
    seconds: float


@dataclass(frozen=True)
class TrainOptions:
    quick: bool = False
    policy_path: Path | None = None
    approver: str = ""
    """Who approves the new version when it passes its gates; default: the OS user, marked
    as approving through the automated gates of `readiness train`."""
    cost_seconds: float = 1.0
    promote: bool = True
    """False: register the new version as `challenger` only, with its fairness verdict and
    lineage, and leave approval and promotion to the caller (automated retraining decides
    after comparing it with the champion)."""
    config: TrainingConfig | None = None
    """Hyperparameters to use instead of `TrainingConfig.quick()` or `.full()`."""
    importance_rows: int | None = None
    """Rows explained for global importance (default: 40 quick, 200 full)."""


def train(
    home: Home,
    options: TrainOptions,
    on_stage: StageCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> TrainingSummary:
    started = time.perf_counter()
    stage = on_stage or (lambda _: None)
    home.ensure()
    registry = ModelRegistry(home.mlflow_tracking_uri)
    registry.check_reachable()
    policy = load_policy(options.policy_path or default_policy_path())
    config = options.config or (TrainingConfig.quick() if options.quick else TrainingConfig.full())

    stage("data")
    data = load_adult()
    stage("features")
    train_rows = _training_rows(home, data)
    training = training_data(data.schema, train_rows)
    spec = InputSpec.fit(data.schema, training.numeric)

    folder = home.models / f"train-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    built = build_models(
        spec, training, config, folder, data.schema.encode(data.test), stage, on_progress
    )

    stage("evaluate")
    evaluation = _evaluate(built, data, policy, options)
    metrics, fairness = evaluation.metrics, evaluation.fairness

    stage("register")
    served_model = OnnxModel(built.files[SERVED_VARIANT], threads=1)
    reference = fit_reference(
        data.schema, training.numeric, training.categorical,
        served_model.predict(training.numeric, training.categorical),
    )  # fmt: skip
    served = _log_run(home, data, config, policy, evaluation, built.files, reference)
    registry_summary = _register(
        registry,
        served,
        data,
        fairness[SERVED_VARIANT],
        options.approver or f"{_os_user()} (automated gates of readiness train)",
        policy,
        lambda version: _record_lineage(home, served, data, config, version),
        promote=options.promote,
    )
    return TrainingSummary(
        teacher=metrics["teacher"],
        student=metrics["student"],
        student_int8=metrics["student_int8"],
        student_int8_dynamic=metrics["student_int8_dynamic"],
        retention=Retention(
            accuracy=metrics["student"].accuracy / metrics["teacher"].accuracy,
            auc=metrics["student"].auc / metrics["teacher"].auc,
        ),
        cost_ratio=metrics["student_int8"].throughput_b256 / metrics["teacher"].throughput_b256,
        int8_speedup=metrics["student_int8"].throughput_b256 / metrics["student"].throughput_b256,
        fairness=fairness,
        importance=evaluation.importance,
        registry=registry_summary,
        run_id=served.run_id,
        dataset_digest=data.digest,
        code_version=served.code_version,
        device=str(training_device()),
        training_rows=len(train_rows),
        quick=options.quick,
        seconds=time.perf_counter() - started,
    )


def _evaluate(
    built: ModelSet, data: AdultDataset, policy: FairnessPolicy, options: TrainOptions
) -> Evaluation:
    """Quality, cost and fairness of every variant on the test set; SHAP of the served one."""
    test_numeric, test_categorical = data.schema.encode(data.test)
    labels = data.test[data.schema.label.name].to_numpy()
    metrics: dict[str, VariantMetrics] = {}
    fairness: dict[str, FairnessReport] = {}
    for variant, path in built.files.items():
        model = OnnxModel(path, threads=1)
        quality, probability = measure_quality(
            model.predict, test_numeric, test_categorical, labels
        )
        cost = measure_cost(model.predict, test_numeric, test_categorical, options.cost_seconds)
        network = built.teacher if variant == "teacher" else built.student
        metrics[variant] = VariantMetrics(
            **quality.model_dump(),
            **cost.model_dump(),
            parameters=parameter_count(network),
            macs=multiply_accumulates(network),
            size_bytes=path.stat().st_size,
        )
        decisions = (probability >= DECISION_THRESHOLD).astype(np.int64)
        fairness[variant] = assess_fairness(labels, decisions, data.test, policy)
    served = OnnxModel(built.files[SERVED_VARIANT], threads=1)
    rows = options.importance_rows or (40 if options.quick else 200)
    importance = global_importance(
        served.predict, data.schema, test_numeric, test_categorical,
        rows=rows,
    )  # fmt: skip
    return Evaluation(metrics=metrics, fairness=fairness, importance=importance)


def _training_rows(home: Home, data: AdultDataset) -> pd.DataFrame:
    """Training rows as of each decision time, retrieved from Feast point in time."""
    timeline = build_timeline(data.train, data.schema)
    store = open_store(home.feature_repo)
    publish(store, data.schema, timeline.feature_rows, materialize=True)
    return training_frame(store, data.schema, timeline.decisions)


def _log_run(
    home: Home,
    data: AdultDataset,
    config: TrainingConfig,
    policy: FairnessPolicy,
    evaluation: Evaluation,
    files: dict[str, Path],
    reference: MonitorReference,
) -> LoggedServedModel:
    """One MLflow run with params, metrics, lineage tags and artifacts, and the served model."""
    mlflow.set_tracking_uri(home.mlflow_tracking_uri)
    version = code_version()
    with mlflow.start_run(experiment_id=experiment_id(home, EXPERIMENT)) as run:
        mlflow.log_params(_flatten("", config.model_dump(mode="json")))
        for variant, variant_metrics in evaluation.metrics.items():
            mlflow.log_metrics(
                {f"{variant}.{k}": float(v) for k, v in variant_metrics.model_dump().items()}
            )
        mlflow.set_tags(
            {
                "code_version": version,
                "dataset_digest": data.digest,
                "schema_digest": data.schema.digest(),
                "fairness_policy": policy.name,
                "device": str(training_device()),
            }
        )
        with tempfile.TemporaryDirectory() as scratch:
            reports = Path(scratch)
            fairness = {k: v.model_dump(mode="json") for k, v in evaluation.fairness.items()}
            (reports / "fairness.json").write_text(json.dumps(fairness, indent=2))
            (reports / "importance.json").write_text(
                evaluation.importance.model_dump_json(indent=2)
            )
            mlflow.log_artifacts(str(reports), artifact_path="reports")
        reference_sha = log_monitor_reference(reference)
        for variant, path in files.items():
            mlflow.log_artifact(str(path), artifact_path="onnx")
            mlflow.set_tag(f"sha256.{variant}", sha256_file(path))
        logged = mlflow.onnx.log_model(
            onnx.load(str(files[SERVED_VARIANT])),
            name="served",
            pip_requirements=["onnxruntime"],
            save_as_external_data=False,
        )
        source = mlflow.get_logged_model(logged.model_id).artifact_location
        served_sha = sha256_file(Path(mlflow.artifacts.download_artifacts(source)) / "model.onnx")
        return LoggedServedModel(
            run_id=run.info.run_id,
            model_id=logged.model_id,
            source=source,
            sha256=served_sha,
            code_version=version,
            monitor_reference_sha256=reference_sha,
        )


def _register(
    registry: ModelRegistry,
    served: LoggedServedModel,
    data: AdultDataset,
    fairness: FairnessReport,
    approver: str,
    policy: FairnessPolicy,
    on_registered: Callable[[str], None],
    promote: bool = True,
) -> RegistrySummary:
    """Register the served model; `on_registered(version)` runs before any approval, so a
    version's lineage is recorded whether or not it is approved. Without `promote` the
    version stays an unapproved challenger for the caller to judge."""
    version = registry.register(
        SERVED_MODEL,
        served.source,
        served.run_id,
        data.schema.digest(),
        {
            "artifact_sha256": served.sha256,
            REFERENCE_SHA_TAG: served.monitor_reference_sha256,
            "dataset_digest": data.digest,
            "code_version": served.code_version,
            "fairness.policy": policy.name,
            FAIRNESS_TAG: json.dumps(fairness.violations),
        },
        model_id=served.model_id,
    )
    on_registered(version.version)
    refusal: str | None = None
    if promote:
        try:
            registry.approve(
                SERVED_MODEL,
                version.version,
                approver,
                f"automated gates of readiness train passed (fairness policy '{policy.name}')",
            )
            registry.promote(SERVED_MODEL, version.version)
        except ApprovalRefused as refused:
            refusal = str(refused)
    champion: RegisteredVersion | None = registry.champion(SERVED_MODEL)
    return RegistrySummary(
        tracking_uri=registry.tracking_uri,
        model=SERVED_MODEL,
        registered_version=version.version,
        semver=version.semver,
        champion_version=champion.version if champion else None,
        approved=promote and refusal is None,
        refusal=refusal,
    )


def _record_lineage(
    home: Home, served: LoggedServedModel, data: AdultDataset, config: TrainingConfig, version: str
) -> None:
    """The registered version's lineage, hash-chained in the audit store."""
    record_lineage(
        home.audit_url,
        LineageRecord(
            model=SERVED_MODEL, version=version, code_version=served.code_version,
            training_data_digest=data.digest, schema_digest=data.schema.digest(),
            hyperparameters=config.model_dump(mode="json"), artifact_sha256=served.sha256,
            run_id=served.run_id,
        ),
    )  # fmt: skip


def _flatten(prefix: str, value: object) -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, inner in value.items():
            out |= _flatten(f"{prefix}{key}.", inner)
        return out
    return {prefix.rstrip("."): json.dumps(value) if isinstance(value, list) else str(value)}


def _os_user() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"
