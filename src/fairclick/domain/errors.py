"""Business errors. Each carries the HTTP status and a stable problem `type` (RFC 9457)."""

from __future__ import annotations


class FairclickError(Exception):
    """Base of every business error; routes and commands translate it, services raise it."""

    status: int = 400
    type: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInput(FairclickError):
    status = 422
    type = "invalid-input"
    title = "Invalid input"


class NotFound(FairclickError):
    status = 404
    type = "not-found"
    title = "Not found"


class Conflict(FairclickError):
    status = 409
    type = "conflict"
    title = "Conflict"


class Forbidden(FairclickError):
    status = 403
    type = "forbidden"
    title = "Forbidden"


class Unauthorized(FairclickError):
    status = 401
    type = "unauthorized"
    title = "Authentication required"


class IllegalTransition(FairclickError):
    status = 409
    type = "illegal-transition"
    title = "Illegal state transition"
