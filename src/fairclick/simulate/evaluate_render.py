"""Rich tables for an evaluation report (what `fairclick evaluate` prints)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from fairclick.domain.reasons import Reason

if TYPE_CHECKING:
    from fairclick.simulate.evaluate import EvaluationReport


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f} %"


def _money(minor: int | None, currency: str | None) -> str:
    if minor is None:
        return "—"
    return f"{minor / 100:,.2f} {currency or ''}".strip()


def render(report: EvaluationReport, console: Any) -> None:
    """Headline, per-reason, per-class, confusion, money and cheaters tables."""
    o = report.overall
    head = Table(title=f"Invalid-traffic detection on {report.clicks:,} labelled clicks")
    for name in ("precision", "recall", "F1", "false rejections of genuine clicks"):
        head.add_column(name, justify="right")
    head.add_row(_pct(o.precision), _pct(o.recall), _pct(o.f1), _pct(report.false_rejection_rate))
    console.print(head)

    reasons = Table(title="By labelled reason")
    for name in ("reason", "class", "labelled", "caught", "same reason", "flagged", "precision"):
        reasons.add_column(name, justify="left" if name in ("reason", "class") else "right")
    for code, fig in report.per_reason.items():
        d = fig.to_dict()
        reasons.add_row(
            code,
            Reason(code).ivt_class.value,
            f"{fig.labelled:,}",
            _pct(d["recall"]),
            _pct(d["reason_recall"]),
            f"{fig.predicted:,}",
            _pct(d["precision"]),
        )
    console.print(reasons)

    classes = Table(title="By MRC class")
    for name in ("class", "precision", "recall", "F1"):
        classes.add_column(name, justify="right")
    for name, m in report.per_class.items():
        classes.add_row(name, _pct(m.precision), _pct(m.recall), _pct(m.f1))
    console.print(classes)

    predicted = sorted({p for row in report.confusion.values() for p in row})
    confusion = Table(title="Confusion: labelled reason (rows) × platform's reasons (columns)")
    confusion.add_column("labelled")
    for name in predicted:
        confusion.add_column(name, justify="right")
    for label, row in sorted(report.confusion.items()):
        confusion.add_row(label, *(f"{row.get(p, 0):,}" if row.get(p) else "" for p in predicted))
    console.print(confusion)

    cur = report.currency
    money = Table(title=f"Money (prices from the {report.prices_from})")
    for name in ("billed", "perfect validator", "count-everything platform", "billed on invalid"):
        money.add_column(name, justify="right")
    money.add_row(
        _money(report.billed_minor, cur),
        _money(report.perfect_minor, cur),
        _money(report.count_everything_minor, cur),
        _money(report.billed_on_invalid_minor, cur),
    )
    console.print(money)

    if report.cheaters:
        cheaters = Table(title="Cheating influencers (top 10 by amount billed)")
        for name in ("influencer", "clicks", "labelled invalid", "billed clicks", "billed", "paid"):
            cheaters.add_column(name, justify="left" if name == "influencer" else "right")
        for c in report.cheaters[:10]:
            cheaters.add_row(
                c.influencer,
                f"{c.clicks:,}",
                f"{c.labelled_invalid:,}",
                f"{c.billed_clicks:,}",
                _money(c.billed_minor, cur),
                _money(c.paid_minor, cur),
            )
        console.print(cheaters)
