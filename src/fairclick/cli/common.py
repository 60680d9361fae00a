"""What every command shares: settings, the database, one-line errors, the console."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from fairclick.config import ConfigError, Settings, load_settings
from fairclick.domain.errors import FairclickError
from fairclick.store import Database

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear error line and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The settings, or one line naming the bad setting and exit code 2."""
    try:
        return load_settings()
    except ConfigError as exc:
        raise fail(str(exc), 2) from None


@lru_cache(maxsize=1)
def database() -> Database:
    """The configured database (not migrated: `fairclick init` does that)."""
    return Database.from_url(settings().database_url)


@contextmanager
def handled() -> Iterator[None]:
    """Turn business errors and unreachable databases into one line and a non-zero exit."""
    try:
        yield
    except FairclickError as exc:
        raise fail(exc.detail) from None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise fail(f"database error: {reason} (did you run `fairclick init`?)") from None
