"""`fairclick explain CLICK_ID`: every rule's outcome on one click, with its evidence."""

from __future__ import annotations

import typer
from rich.table import Table

from fairclick.cli.common import console, database, fail, handled, print_json, say
from fairclick.clicks.models import Click
from fairclick.clicks.reverdict import history
from fairclick.validation.decisions import explain_evidence


def explain_command(
    click_id: str = typer.Argument(
        ..., help="The click id (or the external id it was ingested with)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Explain one click: its verdict, each rule's outcome and evidence, its re-verdicts and
    its billing."""
    from sqlalchemy import or_, select

    with handled(), database().session() as session:
        click = session.scalar(
            select(Click).where(or_(Click.click_id == click_id, Click.external_id == click_id))
        )
        if click is None:
            raise fail(f"no click with id {click_id!r}")
        outcomes = explain_evidence(click.evidence or {})  # type: ignore[arg-type]
        changes = history(session, click.click_id)
    if as_json:
        print_json(
            {
                "click_id": click.click_id,
                "external_id": click.external_id,
                "ts": click.ts,
                "verdict": click.verdict,
                "reasons": click.reasons,
                "billing": click.billing,
                "unbilled_cause": click.unbilled_cause,
                "amount_minor": click.amount_minor,
                "currency": click.currency,
                "rules": [o.__dict__ for o in outcomes],
                "history": [
                    {"at": c.at, "by": c.by, "old": c.old_verdict, "new": c.new_verdict,
                     "reasons": c.new_reasons, "evidence": c.evidence}
                    for c in changes
                ],
            }
        )  # fmt: skip
        return
    say(
        f"click {click.click_id} at {click.ts.isoformat()} on /c/{click.code}: {click.verdict}"
        + (f" ({', '.join(click.reasons)})" if click.reasons else "")
    )
    table = Table(show_lines=False)
    for column in ("rule", "class", "outcome", "evidence", "meaning"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        evidence = ", ".join(f"{k}={v}" for k, v in o.evidence.items() if k != "strength")
        style = {"hit": "red", "flagged": "yellow"}.get(o.outcome, "")
        table.add_row(o.rule, o.ivt_class or "", f"[{style}]{o.outcome}[/]" if style else o.outcome,
                      evidence, o.sentence)  # fmt: skip
    console.print(table)
    for change in changes:
        say(
            f"re-verdict {change.at.isoformat()} by {change.by}: {change.old_verdict} → "
            f"{change.new_verdict} ({', '.join(change.new_reasons)})"
        )
    cause = f" ({click.unbilled_cause})" if click.unbilled_cause else ""
    say(f"billing: {click.billing}{cause}, {click.amount_minor} minor units {click.currency or ''}")
