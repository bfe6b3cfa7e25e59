"""The microservice's composition root: build the gateway for a profile and serve it.

Run as its own process by `readiness up microservice`:
`python -m reference.microservice.service CONFIG.yaml`. The production profile loads the
champion from the registry by alias (sha256 checked), serves it from Ray Serve replicas
and looks applicants up in the Feast online store; the prototype profile serves a model
file in-process with every production feature switched off.
"""

import sys
from enum import StrEnum
from pathlib import Path

import yaml
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from reference.microservice.gateway import GatewaySettings, create_app

PROTOTYPE_VERSION = "file"


class Profile(StrEnum):
    PRODUCTION = "production"
    PROTOTYPE = "prototype"


class ReplicaOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(default=2, ge=1)
    cpus_per_replica: float = Field(default=0.5, gt=0)
    timeout_s: float = Field(default=5.0, gt=0)
    attempts: int = Field(default=3, ge=1)
    ray_cpus: int = Field(default=2, ge=1)


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: Profile
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    model: str
    alias: str = "champion"
    tracking_uri: str
    feature_repo: Path
    model_file: Path | None = None
    cache_dir: Path
    gateway: GatewaySettings
    replicas: ReplicaOptions = ReplicaOptions()
    faults_enabled: bool = False


def build_app(config: ServiceConfig) -> FastAPI:
    from reference.platform.schema import load_schema

    schema = load_schema()
    if config.profile is Profile.PROTOTYPE:
        from reference.microservice.backends import LocalBackend

        if config.model_file is None:
            raise ValueError("the prototype profile serves a model file: set model_file")
        local = LocalBackend()
        local.load(config.model, PROTOTYPE_VERSION, config.model_file)
        return create_app(schema, local, config.gateway)
    return _production_app(config, schema)


def _production_app(config: ServiceConfig, schema: object) -> FastAPI:
    import ray
    from ray import serve

    from reference.microservice.features import FeastFeatures
    from reference.microservice.loading import fetch_by_alias
    from reference.microservice.ray_backend import RayServeBackend, ReplicaSettings
    from reference.microservice.replica import ReplicaConfig
    from reference.platform.features.repo import open_store
    from reference.platform.registry import ModelRegistry
    from reference.platform.schema import FeatureSchema

    assert isinstance(schema, FeatureSchema)
    artifact = fetch_by_alias(
        ModelRegistry(config.tracking_uri), config.model, config.alias, config.cache_dir
    )
    ray.init(num_cpus=config.replicas.ray_cpus, include_dashboard=False,
             _node_ip_address="127.0.0.1", log_to_driver=False)  # fmt: skip
    serve.start(proxy_location="Disabled")
    options = config.replicas
    backend = RayServeBackend(
        ReplicaSettings(
            min_replicas=options.min_replicas, max_replicas=options.max_replicas,
            cpus_per_replica=options.cpus_per_replica, timeout_s=options.timeout_s,
            attempts=options.attempts,
        )
    )  # fmt: skip
    backend.add(
        ReplicaConfig(
            model=config.model, version=artifact.version, path=str(artifact.path),
            fallback_path=str(artifact.path), faults_enabled=config.faults_enabled,
        )
    )  # fmt: skip
    features = FeastFeatures(open_store(config.feature_repo), schema)
    app = create_app(schema, backend, config.gateway, features)

    def stop_ray() -> None:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()

    app.router.on_shutdown.append(stop_ray)
    return app


def main(argv: list[str]) -> int:
    import uvicorn

    if len(argv) != 2:
        sys.stderr.write("usage: python -m reference.microservice.service CONFIG.yaml\n")
        return 2
    config = ServiceConfig.model_validate(yaml.safe_load(Path(argv[1]).read_text()))
    uvicorn.run(build_app(config), host=config.host, port=config.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
