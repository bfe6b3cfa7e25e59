"""A team's own FastAPI service of the credit model, as teams write them: one row per
request, a Bearer token, prometheus-fastapi-instrumentator's metrics, and a log that
echoes what it refused (a real habit, and a real personal-data leak the harness should
find). Run as its own process:

    python -m tests.harness.system.credit_api MODEL.pkl PORT LOGFILE

The token comes from CREDIT_API_TOKEN.
"""

import logging
import os
import pickle
import sys
import uuid
from pathlib import Path
from typing import Literal

import pandas as pd
import uvicorn
from fastapi import FastAPI, Header, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel, ConfigDict, Field

VERSION = "2026.12.1"


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    income: float = Field(gt=0)
    debt_ratio: float = Field(ge=0, le=1)
    age: int = Field(ge=18, le=120)
    years_employed: int = Field(ge=0)
    employment: Literal["salaried", "self-employed", "contract", "retired"]
    region: str
    email: str


def create_app(model_path: Path, token: str, log: logging.Logger) -> FastAPI:
    with model_path.open("rb") as handle:
        model = pickle.load(handle)  # the test's own file
    app = FastAPI(title="credit-api")
    Instrumentator().instrument(app).expose(app)

    @app.exception_handler(RequestValidationError)
    async def refused(request: Request, error: RequestValidationError) -> JSONResponse:
        log.warning("refused %s: %s", (await request.body())[:500], error.errors())
        return JSONResponse({"detail": error.errors()}, status_code=422)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/prometheus", include_in_schema=False)
    def moved() -> RedirectResponse:
        """Where the metrics used to be: a redirect, as teams leave them."""
        return RedirectResponse("/metrics", status_code=308)

    @app.post("/predict")
    def predict(
        applicant: Applicant, response: Response, authorization: str | None = Header(None)
    ) -> dict[str, object]:
        if authorization != f"Bearer {token}":
            raise HTTPException(401, "missing or wrong token")
        row = pd.DataFrame([applicant.model_dump()])
        probability = float(model.predict_proba(row)[0, 1])
        response.headers["x-request-id"] = str(uuid.uuid4())
        return {"default_probability": probability, "model_version": VERSION}

    return app


def main(model_path: Path, port: int, log_file: Path) -> None:
    logging.basicConfig(filename=log_file, level=logging.INFO)
    app = create_app(model_path, os.environ["CREDIT_API_TOKEN"], logging.getLogger("credit"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
