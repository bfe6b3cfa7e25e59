"""The ingest service as a process: `python -m reference.event_driven.service CONFIG.yaml`
(written by `readiness up event-driven`), on 127.0.0.1 and the configured port."""

import socket
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from readiness.documents import load_document
from readiness.errors import InvalidConfiguration
from reference.event_driven.ingest import IngestSettings, create_app
from reference.platform.model.schema import load_schema


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int
    ingest: IngestSettings
    inline_pipeline: Path | None = None
    """The prototype: run the stages in this process, configured by this pipeline file."""


def main(argv: list[str]) -> int:
    import uvicorn

    if len(argv) != 2:
        sys.stderr.write("usage: python -m reference.event_driven.service CONFIG.yaml\n")
        return 2
    config = load_document(Path(argv[1]), ServiceConfig, InvalidConfiguration, "ingest config")
    listener = socket.create_server((config.host, config.port))
    alongside = None
    if config.inline_pipeline is not None:
        from reference.event_driven.prototype import InlineRunner
        from reference.event_driven.worker import load_config

        alongside = InlineRunner(load_config(config.inline_pipeline))
    app = create_app(load_schema(), config.ingest, alongside)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[listener])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
