"""What every command shares: settings, the database, one-line errors, the console, output."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from typer.core import TyperGroup

from fairclick.config import ConfigError, Settings, load_settings
from fairclick.domain.errors import FairclickError
from fairclick.domain.money import MoneyError
from fairclick.store import Database

M = TypeVar("M", bound=BaseModel)

console = Console()
err_console = Console(stderr=True)

# Set by the root `--traceback` option: unexpected errors then show their traceback.
SHOW_TRACEBACK = {"on": False}


def say(message: str) -> None:
    """Print one plain message line on stdout (never wrapped, never read as markup)."""
    console.print(message, highlight=False, soft_wrap=True, markup=False)


def _escape(text: str) -> str:
    # Messages quote user input and paths such as `campaigns[0]`: never read them as markup.
    return escape(text)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear error line on stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {_escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def batch_process() -> None:
    """Tune the process for long batch work (ingest, audit, demo, the worker): such jobs allocate
    millions of short-lived objects next to large long-lived caches, and CPython's default
    collector (a collection every 700 allocations) walks those caches over and over. A first
    threshold of 50,000 cut the engine's CPU per click by about a fifth (docs/validation.md)."""
    gc.set_threshold(50_000, 20, 20)


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


def reset() -> None:
    """Forget the cached settings and database (tests change the environment between runs)."""
    if database.cache_info().currsize:
        database().engine.dispose()
    database.cache_clear()
    settings.cache_clear()


def validation_line(exc: ValidationError) -> str:
    """The first problem of a pydantic error as `field: message`."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


@contextmanager
def handled() -> Iterator[None]:
    """Turn business errors, invalid input and unreachable databases into one line and exit 1."""
    try:
        yield
    except FairclickError as exc:
        raise fail(exc.detail) from None
    except ValidationError as exc:
        raise fail(validation_line(exc)) from None
    except MoneyError as exc:
        raise fail(str(exc)) from None
    except IntegrityError as exc:
        # A concurrent writer won a race the service checked for: say so, in one line.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise fail(f"conflicting change: {reason}") from None
    except (OperationalError, ProgrammingError) as exc:
        # Unreachable server, missing tables (SQLite: operational; PostgreSQL: programming).
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise fail(f"database error: {reason} (did you run `fairclick init`?)") from None


def build(model: type[M], data: dict[str, Any]) -> M:
    """Validate command-line input into a schema; a problem becomes one error line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise fail(validation_line(exc)) from None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def print_json(data: Any) -> None:
    """Machine output: one JSON document on stdout (datetimes as RFC 3339 UTC)."""
    typer.echo(json.dumps(data, default=_plain, ensure_ascii=False, indent=2))


def cell(value: Any) -> str:
    """How a value reads in a table cell."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Human output: a Rich table (an empty list says so instead of drawing an empty table)."""
    if not rows:
        say(f"{title}: none")
        return
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_escape(cell(v)) for v in row))
    console.print(table)


def print_record(title: str, fields: Sequence[tuple[str, Any]]) -> None:
    """Human output for one object: a two-column table of field and value."""
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for name, value in fields:
        table.add_row(name, _escape(cell(value)))
    console.print(table)


class OneLineErrors(TyperGroup):
    """The root group: usage errors and unexpected failures are one line on stderr, not a panel
    or a traceback (`fairclick --traceback …` shows the traceback of an unexpected failure)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; in standalone mode, every error leaves as one line and a code."""
        options: dict[str, Any] = {
            "prog_name": prog_name,
            "complete_var": complete_var,
            "windows_expand_args": windows_expand_args,
            **extra,
        }
        if not standalone_mode:
            return super().main(args, standalone_mode=False, **options)
        for given in sys.argv[1:] if args is None else args:
            try:
                given.encode("utf-8")
            except UnicodeEncodeError:
                # Undecodable bytes reach Python as surrogates: refuse them at the door.
                shown = given.encode("utf-8", "replace").decode("utf-8")
                _exit_line(f"argument {shown!r} is not valid UTF-8 text", 2)
        try:
            code = super().main(args, standalone_mode=False, **options)
        except Exception as error:
            exc: Any = error  # click's errors, from whichever copy of click raised them
            if _is_usage_error(exc):
                if type(exc).__name__ == "NoArgsIsHelpError":
                    sys.exit(0)  # the help is already printed: asking for it is no error
                context = getattr(exc, "ctx", None)
                where = f"{context.command_path}: " if context is not None else ""
                message = str(exc.format_message()).replace("Value error, ", "")
                _exit_line(f"{where}{message} (see --help)", exc.exit_code)
            if _is_click_error(exc):
                _exit_line(exc.format_message(), exc.exit_code)
            if type(exc).__name__ == "Abort":
                _exit_line("aborted", 1)
            if SHOW_TRACEBACK["on"]:
                raise
            first = (str(exc).strip().splitlines() or [""])[0]
            _exit_line(
                f"internal error: {type(exc).__name__}: {first} "
                "(run `fairclick --traceback …` to see where)",
                1,
            )
        sys.exit(code if isinstance(code, int) else 0)


def _is_click_error(exc: Exception) -> bool:
    # Typer vendors its own copy of click: recognise click's errors by their shape, whichever
    # copy raised them.
    return hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int)


def _is_usage_error(exc: Exception) -> bool:
    return _is_click_error(exc) and any(k.__name__ == "UsageError" for k in type(exc).__mro__)


def _exit_line(message: str, code: int) -> NoReturn:
    fail(message, code)
    sys.exit(code)
