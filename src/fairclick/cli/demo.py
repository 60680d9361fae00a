"""`fairclick demo`: a fresh embedded database with the example world, then the server.

The demo owns its folder (`./var/demo/` by default) and rebuilds it on every run.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import typer

from fairclick.cli.common import batch_process, fail, handled, print_table, say
from fairclick.config import ConfigError, Settings, load_settings
from fairclick.server import ALL_ROLES
from fairclick.server import serve as run_server
from fairclick.store import Database
from fairclick.store.migrate import upgrade
from fairclick.world.loader import WorldError, apply_world, parse_world
from fairclick.world.schema import World

MARKER = ".fairclick-demo"


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


def serve(config: Settings) -> None:
    """Serve redirect, API and worker on the demo's database until Ctrl-C."""
    try:
        run_server(config, ALL_ROLES)
    except OSError as exc:
        raise fail(f"cannot listen on {config.host}:{config.port}: {exc}") from None


def _logins(world: World) -> list[tuple[str, str, str]]:
    rows = [(u.email, u.role.value, u.password or "—") for u in world.users]
    rows += [(i.email, "influencer", i.password or "—") for i in world.influencers if i.email]
    return rows


def demo(
    folder: Path = typer.Option(
        Path("var/demo"), "--dir", help="The demo's folder (deleted and rebuilt on each run)."
    ),
    world: Path | None = typer.Option(
        None, "--world", help="Load this world file only, with no simulated traffic."
    ),
    clicks: int = typer.Option(
        1_000_000, "--clicks", min=1, max=50_000_000, help="Clicks to simulate and process."
    ),
    scenario: str | None = typer.Option(
        None, "--scenario", help="Scenario file or built-in name (default: primaire-2017)."
    ),
    no_serve: bool = typer.Option(
        False, "--no-serve", help="Stop after the headline; do not serve."
    ),
) -> None:
    """Run the demo: the 2017 story, a million clicks judged, then the dashboards.

    On a fresh SQLite database in the demo folder: simulate the scenario (default: the 2017
    primary, about 300 influencers, --clicks clicks), load its world, put every click through
    ingest → validation → retro-analysis → ledger, print the headline (valid versus invalid by
    reason, what the advertiser is billed versus a count-everything platform, the five worst
    influencers), then serve the dashboards until Ctrl-C. With --world, load that world file
    only (no traffic).
    """
    batch_process()
    if world is None:
        simulated_demo(folder, clicks, scenario, no_serve)
        return
    source = world
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{source}: cannot read the world file: {exc}") from None
    database_path = folder / "fairclick.db"
    config = demo_settings(database_path)
    fresh_folder(folder)
    db = Database.from_url(config.database_url)
    with handled():
        try:
            upgrade(db.engine)
            parsed = parse_world(text)  # once: the load and the logins below both read it
            with db.session() as session:
                summary = apply_world(session, parsed, secret_key=config.secret_key)
        except WorldError as exc:
            raise fail(f"{source} {exc.detail}") from None
        finally:
            db.engine.dispose()
    created = ", ".join(f"{section}: {n}" for section, n in summary.created.items())
    say(f"demo database {database_path}: loaded {source} ({created})")
    world_file = parsed[0]
    print_table("Logins", ["email", "role", "password"], _logins(world_file))
    root = f"http://{config.host}:{config.port}"
    lines = [
        f"Dashboards: {root}/ (log in with the logins above)",
        f"API: {root}/api/v1 (OpenAPI: {root}/api/v1/openapi.json)",
        *(f"Short link: {config.base_url}/c/{link.code}" for link in world_file.links if link.code),
        f"Other shells: export FAIRCLICK_DATABASE_URL={config.database_url}",
    ]
    say("\n".join(lines))
    if no_serve:
        return
    say("serving until Ctrl-C")
    # Ctrl-C during start-up arrives before the server handles the signal itself.
    with contextlib.suppress(KeyboardInterrupt):
        serve(config)
    say("stopped")


def demo_settings(database_path: Path) -> Settings:
    """Settings of the demo: its own SQLite file; short links on the demo's own server."""
    try:
        config = load_settings(database_url=f"sqlite:///{database_path}")
        if config.base_url == Settings.model_fields["base_url"].default:
            config = config.model_copy(update={"base_url": f"http://{config.host}:{config.port}"})
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    return config


def simulated_demo(folder: Path, clicks: int, scenario: str | None, no_serve: bool) -> None:
    """The demo's main job (see `demo`)."""
    from fairclick.cli.demo_run import ADMIN, headline, run_pipeline
    from fairclick.cli.simulate import scenario_or_fail, simulate_to
    from fairclick.clicks.timing import StageTimes

    chosen = scenario_or_fail(scenario)
    config = demo_settings(folder / "fairclick.db")
    fresh_folder(folder)
    db = Database.from_url(config.database_url)
    with handled():
        try:
            upgrade(db.engine)
            times = StageTimes()
            with times.stage("simulate"):
                simulated = simulate_to(chosen, folder / "simulation", clicks)
            say(f"simulated {simulated.clicks:,} clicks of {simulated.scenario} "
                f"in {simulated.seconds:.0f} s")  # fmt: skip
            result = run_pipeline(config, db, simulated, folder, times)
        finally:
            db.engine.dispose()
    headline(result)
    world_file, _ = parse_world(Path(simulated.world_path).read_text(encoding="utf-8"))
    logins = [(ADMIN[0], "admin", ADMIN[1]), *_logins(world_file)]
    print_table("Logins", ["email", "role", "password"], logins[:8])
    if len(logins) > 8:
        say(f"(and {len(logins) - 8} more influencer logins in {simulated.world_path})")
    root = f"http://{config.host}:{config.port}"
    say(f"Dashboards: {root}/   API: {root}/api/v1   "
        f"Other shells: export FAIRCLICK_DATABASE_URL={config.database_url}")  # fmt: skip
    if no_serve:
        return
    say("serving until Ctrl-C")
    with contextlib.suppress(KeyboardInterrupt):
        serve(config)
    say("stopped")
