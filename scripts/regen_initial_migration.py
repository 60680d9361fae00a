"""Regenerate the initial migration from the models (used while nothing is released).

Deterministic: the same models give the same file, so concurrent regenerations converge.
Once a release ships, add new revisions with `alembic revision --autogenerate` instead.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from fairclick.store.db import make_engine
from fairclick.store.migrate import MIGRATIONS, alembic_config

REV = "0001"
NAME = "20261129_0001_initial.py"


def main() -> None:
    versions = MIGRATIONS / "versions"
    target = versions / NAME
    if target.exists():
        target.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/empty.db")
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial", autogenerate=True, rev_id=REV)
    produced = next(versions.glob(f"*_{REV}_initial.py"))
    text = produced.read_text()
    lines = [line.rstrip() for line in text.splitlines() if not line.startswith("Create Date:")]
    produced.unlink()
    target.write_text("\n".join(lines) + "\n")
    # The generated file must pass the project's linters like any other.
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "-q", str(target)], check=False)
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(target)], check=True)
    print(f"wrote {target.relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
