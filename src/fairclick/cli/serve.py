"""`fairclick serve`: run the redirect, the API and the validator worker."""

from __future__ import annotations

import typer

from fairclick.cli.common import batch_process, fail, settings
from fairclick.server import ALL_ROLES, Role, serve


def serve_command(
    role: list[Role] = typer.Option(
        [],
        "--role",
        help="Run only this role (repeatable): redirect, api or worker. Default: all three.",
    ),
    host: str | None = typer.Option(None, "--host", help="Listen address (FAIRCLICK_HOST)."),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Listen port (FAIRCLICK_PORT)."
    ),
) -> None:
    """Serve short links (GET /c/CODE), the API and /metrics, and validate clicks.

    Several `--role redirect` processes may share one database; run one `--role worker`."""
    config = settings()
    batch_process()
    try:
        serve(config, frozenset(role) or ALL_ROLES, host=host, port=port)
    except OSError as exc:
        raise fail(f"cannot listen: {exc}") from None
