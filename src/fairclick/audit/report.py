"""Write the audit's outputs: a self-contained HTML page, a JSON summary, a terminal table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from rich.console import Console
from rich.table import Table

from fairclick import __version__
from fairclick.audit.charts import horizontal_bars, stacked_series
from fairclick.audit.summary import AuditSummary

_env = Environment(
    loader=PackageLoader("fairclick.audit", "templates"),
    autoescape=select_autoescape(["html"]),
)


def render_html(summary: AuditSummary, files: Sequence[str]) -> str:
    """The report as one HTML page with inline SVG charts and no external request."""
    return _env.get_template("report.html").render(
        s=summary,
        files=list(files),
        version=__version__,
        series_svg=stacked_series(summary.series),
        reasons_svg=horizontal_bars([(r.reason, r.count) for r in summary.by_reason]),
    )


def write_reports(summary: AuditSummary, files: Sequence[str], out_dir: Path) -> tuple[Path, Path]:
    """Write `report.html` and `summary.json` into `out_dir` (created); return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path, json_path = out_dir / "report.html", out_dir / "summary.json"
    html_path.write_text(render_html(summary, files), encoding="utf-8")
    json_path.write_bytes(
        orjson.dumps(summary.to_dict() | {"files": list(files)}, option=orjson.OPT_INDENT_2)
    )
    return html_path, json_path


def print_summary(summary: AuditSummary, console: Console) -> None:
    """The terminal table printed at the end of a run."""
    table = Table(title="fairclick audit", show_lines=False)
    table.add_column("")
    table.add_column("requests", justify="right")
    table.add_column("share", justify="right")
    total = summary.total or 1
    table.add_row("total", f"{summary.total:,}", "100%")
    table.add_row("[green]valid[/]", f"{summary.valid:,}", f"{summary.valid / total:.1%}")
    table.add_row("[red]invalid[/]", f"{summary.invalid:,}", f"{summary.invalid / total:.1%}")
    for cls, count in summary.by_class.items():
        table.add_row(f"  {cls}", f"{count:,}", f"{count / total:.1%}")
    for reason in summary.by_reason:
        table.add_row(f"  · {reason.reason}", f"{reason.count:,}", f"{reason.share:.1%}")
    malformed = summary.parse.get("malformed", 0)
    if malformed:
        table.add_row("[yellow]unreadable lines[/]", f"{malformed:,}", "")
    console.print(table)
    console.print(summary.findings, highlight=False)
