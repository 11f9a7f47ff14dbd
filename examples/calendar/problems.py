"""Errors as RFC 9457 problem+json for the calendar API (see api.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from dynaform.entities import (
    ConflictError,
    EntityError,
    InvalidCursor,
    NotFound,
    TableMissing,
)

PROBLEM = "application/problem+json"


class Problem(Exception):  # noqa: N818 - RFC 9457's name
    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers: dict[str, str] = {}


def etag(version: int) -> str:
    return f'"{version}"'


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail} | extra
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field(loc: tuple[Any, ...]) -> str:
    """("body", "recurrence", "count") -> recurrence.count; a header or query: its name."""
    return ".".join(str(p) for p in loc[1:]) or str(loc[0])


def install_errors(app: FastAPI) -> None:
    handlers: dict[Any, Callable[[Request, Any], Any]] = {}

    def on_problem(_: Request, exc: Problem) -> JSONResponse:
        answer = problem(exc.status, exc.title, exc.detail, **exc.extra)
        answer.headers.update(exc.headers)
        return answer

    def on_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "Unprocessable Content", detail, errors=errors)

    def on_conflict(_: Request, exc: ConflictError) -> JSONResponse:
        version = exc.current_version
        if version is None:
            return problem(404, "Not Found", "the event is gone")
        answer = problem(
            412, "Precondition Failed", f"the event is at version {version}", currentVersion=version
        )
        answer.headers["ETag"] = etag(version)
        return answer

    def on_http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail))

    def on_entity(_: Request, exc: EntityError) -> JSONResponse:
        if isinstance(exc, InvalidCursor):
            return problem(400, "Bad Request", f"invalid cursor: {exc.message}")
        if isinstance(exc, NotFound):
            return problem(404, "Not Found", exc.message)
        status = 503 if isinstance(exc, TableMissing) else 500
        return problem(status, "Service Unavailable" if status == 503 else "Error", exc.message)

    def on_anything(_: Request, exc: Exception) -> JSONResponse:
        return problem(500, "Internal Server Error", f"{type(exc).__name__}: {exc}")

    handlers |= {Problem: on_problem, RequestValidationError: on_validation}
    handlers[Exception] = on_anything
    handlers |= {ConflictError: on_conflict, HTTPException: on_http, EntityError: on_entity}
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
