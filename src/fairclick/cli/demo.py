"""`fairclick demo`: a fresh embedded database with the example world, then the server.

The demo owns its folder (`./var/demo/` by default) and rebuilds it on every run.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path
from types import ModuleType

import typer

from fairclick.cli.common import console, fail, handled, print_table
from fairclick.config import ConfigError, Settings, load_settings
from fairclick.store import Database
from fairclick.store.migrate import upgrade
from fairclick.world.loader import WorldError, apply_world, parse_world

MARKER = ".fairclick-demo"
SERVE_ROLES = frozenset({"api", "redirect", "worker"})


def example_world() -> Path:
    """The example world of the source tree (`examples/world.yaml`), else of the current folder."""
    in_tree = Path(__file__).resolve().parents[3] / "examples" / "world.yaml"
    return in_tree if in_tree.exists() else Path("examples/world.yaml")


def fresh_folder(folder: Path) -> None:
    """Delete and recreate the demo's folder, refusing one the demo did not make."""
    if folder.exists():
        if not folder.is_dir():
            raise fail(f"{folder} is a file, not the demo's folder")
        if any(folder.iterdir()) and not (folder / MARKER).exists():
            raise fail(f"{folder} holds files fairclick demo did not make; choose another --dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by `fairclick demo`; deleted and rebuilt on each run\n")


def _optional(name: str) -> ModuleType | None:
    """Import a module other capabilities provide, or None while it does not exist yet."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None
        raise


def serve(config: Settings) -> None:
    """Serve until Ctrl-C with the best server the installation has: the full server
    (`fairclick.server`: API, redirect and worker) when present, else the API alone."""
    server = _optional("fairclick.server")
    if server is not None:
        server.serve(config, SERVE_ROLES)
        return
    api = _optional("fairclick.api.app")
    if api is not None:
        import uvicorn

        uvicorn.run(api.create_api(config), host=config.host, port=config.port)
        return
    raise fail("this installation has no server yet (fairclick.server / fairclick.api)")


def _logins(text: str) -> list[tuple[str, str, str]]:
    world, _ = parse_world(text)
    rows = [(u.email, u.role.value, u.password or "—") for u in world.users]
    rows += [(i.email, "influencer", i.password or "—") for i in world.influencers if i.email]
    return rows


def demo(
    folder: Path = typer.Option(
        Path("var/demo"), "--dir", help="The demo's folder (deleted and rebuilt on each run)."
    ),
    world: Path | None = typer.Option(
        None, "--world", help="World file to load (default: examples/world.yaml)."
    ),
    no_serve: bool = typer.Option(False, "--no-serve", help="Stop after loading; do not serve."),
) -> None:
    """Run the demo: a fresh SQLite database with the example world, served until Ctrl-C.

    Deletes and rebuilds the demo folder, migrates, loads examples/world.yaml, prints the
    logins and the API URL, then serves (--no-serve stops after loading).
    """
    source = world or example_world()
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{source}: cannot read the world file: {exc}") from None
    database_path = folder / "fairclick.db"
    try:
        config = load_settings(database_url=f"sqlite:///{database_path}")
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    fresh_folder(folder)
    db = Database.from_url(config.database_url)
    with handled():
        try:
            upgrade(db.engine)
            with db.session() as session:
                summary = apply_world(session, text, secret_key=config.secret_key)
        except WorldError as exc:
            raise fail(f"{source} {exc.detail}") from None
        finally:
            db.engine.dispose()
    created = ", ".join(f"{n} {k}" for k, n in summary.created.items())
    console.print(f"demo database {database_path}: loaded {source} ({created})", highlight=False)
    print_table("Logins", ["email", "role", "password"], _logins(text))
    api_url = f"http://{config.host}:{config.port}/api/v1"
    console.print(
        f"API: {api_url} (OpenAPI at {api_url}/openapi.json); short links: {config.base_url}/c/…\n"
        f"Use this database from another shell with "
        f"FAIRCLICK_DATABASE_URL={config.database_url}",
        highlight=False,
    )
    if no_serve:
        return
    console.print("serving until Ctrl-C", highlight=False)
    try:
        serve(config)
    except KeyboardInterrupt:
        console.print("stopped", highlight=False)
