"""RFC 9457 problem details for every error the API answers, and the handlers that make them.

Every error, whatever raised it (a business rule, request validation, routing, an oversized
body, a bug), leaves as `application/problem+json` with a stable `type` URI. A bug never shows
a traceback or an internal message: it is logged and answered as a bare 500 problem.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from fairclick.domain.errors import FairclickError, Unauthorized

PROBLEM_BASE = "https://fairclick.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

log = logging.getLogger("fairclick.api")

# HTTP errors raised by routing and body parsing, with their stable types.
_HTTP_TYPES: dict[int, tuple[str, str]] = {
    400: ("malformed-body", "Malformed request body"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def problem(
    status: int,
    type_: str,
    title: str,
    detail: str,
    *,
    errors: Sequence[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem-details response: `type` is `https://fairclick.dev/problems/<type_>`."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = list(errors)
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers
    )


def problem_bytes(status: int, type_: str, title: str, detail: str) -> bytes:
    """The JSON body of a problem, for the raw ASGI middleware that answers before routing."""
    return orjson.dumps(
        {"type": PROBLEM_BASE + type_, "title": title, "status": status, "detail": detail}
    )


def _business_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FairclickError)
    errors = [{"field": exc.field, "message": exc.detail}] if exc.field else None
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return problem(exc.status, exc.type, exc.title, exc.detail, errors=errors, headers=headers)


def _field(loc: Sequence[Any]) -> str:
    # ("body", "budget") → "budget"; ("query", "limit") → "limit"; ("path", "id") → "id".
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        return problem(
            400,
            "malformed-json",
            "Malformed JSON body",
            "the request body is not valid JSON",
        )
    errors = []
    for err in raw:
        message = str(err.get("msg", "invalid value"))
        # pydantic prefixes errors raised by our own validators with "Value error, ".
        message = message.removeprefix("Value error, ")
        errors.append({"field": _field(err.get("loc", ())), "message": message})
    first = errors[0] if errors else {"field": "body", "message": "invalid input"}
    return problem(
        422,
        "validation-error",
        "Invalid input",
        f"{first['field']}: {first['message']}",
        errors=errors,
    )


def _model_error(request: Request, exc: Exception) -> Response:
    # A value object built inside a route (not from the request body) refused its input.
    assert isinstance(exc, ValidationError)
    return _validation_error(request, RequestValidationError(exc.errors()))


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    type_, title = _HTTP_TYPES.get(exc.status_code, ("http-error", "HTTP error"))
    detail = str(exc.detail) if exc.detail else title
    if exc.status_code == 400:
        type_, title = "malformed-json", "Malformed JSON body"
        detail = "the request body is not valid UTF-8 JSON"
    elif exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    headers = dict(exc.headers) if exc.headers else None
    return problem(exc.status_code, type_, title, detail, headers=headers)


def _data_error(request: Request, exc: Exception) -> Response:
    # The database refused a value the schemas let through (a NUL character in text on
    # PostgreSQL, a number beyond the column): bad input, not a bug.
    log.info("database refused a value on %s %s: %s", request.method, request.url.path, exc)
    return problem(
        422,
        "invalid-input",
        "Invalid input",
        "a value cannot be stored (a NUL character in text, or a number out of range)",
    )


def _integrity_error(request: Request, exc: Exception) -> Response:
    # Services check uniqueness first; this is the race where two requests create the same key.
    log.info("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return problem(409, "conflict", "Conflict", "the change conflicts with existing data")


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        500, "internal-error", "Internal error", "an unexpected error occurred; it was logged"
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of `app` a problem document."""
    app.add_exception_handler(FairclickError, _business_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _model_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)
