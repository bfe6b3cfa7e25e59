"""Refusals as HTTP answers, and bodies read by our own code so every refusal names a field.

Bodies are read here rather than by the framework so that the size limit is checked
before parsing and auth is checked before the body's rules are revealed.
"""

import json
import time
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from pydantic import BaseModel, ValidationError

from readiness.errors import Problem

Body = TypeVar("Body", bound=BaseModel)


async def read_json(request: Request, max_bytes: int) -> Any:
    body = await request.body()
    if len(body) > max_bytes:
        raise Problem(413, f"body of {len(body)} bytes exceeds {max_bytes}")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise Problem(422, [{"loc": ["body"], "msg": f"not JSON: {error}"}]) from error
    except RecursionError as error:  # a body nested a thousand levels deep
        raise Problem(422, [{"loc": ["body"], "msg": "JSON nested too deeply"}]) from error


def validated(model: type[Body], document: Any) -> Body:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        errors = error.errors(include_url=False, include_context=False)
        detail = [{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in errors]
        raise Problem(422, detail, errors=errors) from error


async def read_body(request: Request, model: type[Body], max_bytes: int) -> Body:
    return validated(model, await read_json(request, max_bytes))


def refused_instances(problem: Problem) -> int:
    """How many instances a 422 refused: those its errors point into, or the whole body."""
    indices = {
        e["loc"][1] for e in problem.errors
        if len(e.get("loc", ())) > 1 and e["loc"][0] == "instances" and isinstance(e["loc"][1], int)
    }  # fmt: skip
    return max(len(indices), 1)


def answer_problems(app: FastAPI) -> None:
    """Every refusal raised as a Problem answered as its status, its detail and its headers
    (one handler for every service of the project)."""

    @app.exception_handler(Problem)
    async def refuse(_: Request, problem: Problem) -> JSONResponse:
        return JSONResponse({"detail": problem.detail}, problem.status, headers=problem.headers)


def count_requests(app: FastAPI, requests: Counter, latency: Histogram) -> None:
    """Requests by route (its template, not the path: bounded labels) and status, and their
    duration, into the service's metrics."""

    @app.middleware("http")
    async def count(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        path = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(path, str(response.status_code)).inc()
        latency.labels(path).observe(time.perf_counter() - started)
        return response
