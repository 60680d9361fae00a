"""Session-bound CSRF tokens and the in-process login rate limit.

CSRF: a synchroniser token lives in the signed session; every form carries it in a hidden
field and every POST handler reads its form through `checked_form`, which refuses a missing or
wrong token with 403 before anything else happens.

Login rate limit: failed attempts are counted per (client IP, email) in a sliding window, in
the process's memory (one web process per node; a restart forgets, which only helps the
attacker by one window). After `max_failures` failures in `window` seconds, the login answers
429 until the oldest failure leaves the window. A success clears the key.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SESSION_KEY = "csrf"
MAX_FORM_FIELDS = 200


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(_SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The request's form after checking its CSRF token (hidden field, or the `X-CSRF-Token`
    header that htmx requests send); raise 403 when it is missing or wrong."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = request.session.get(_SESSION_KEY)
    if (
        not isinstance(sent, str)
        or not isinstance(expected, str)
        or not hmac.compare_digest(sent.encode(), expected.encode())
    ):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")
    return form


class LoginLimiter:
    """Sliding-window count of failed logins per key, in memory, thread-safe."""

    def __init__(
        self,
        max_failures: int = 5,
        window: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(ip: str, email: str) -> str:
        """The counting key of one client address trying one account."""
        return f"{ip}|{email.strip().lower()}"

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again (0: it may try now)."""
        with self._lock:
            now = self._clock()
            failures = self._prune(key, now)
            if len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, key: str) -> None:
        """Count one failed attempt."""
        with self._lock:
            if len(self._failures) >= self._max_keys:
                # Bounded memory: forget the whole table rather than grow without end.
                self._failures.clear()
            self._prune(key, self._clock()).append(self._clock())

    def succeeded(self, key: str) -> None:
        """Forget the key's failures."""
        with self._lock:
            self._failures.pop(key, None)
