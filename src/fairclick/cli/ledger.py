"""`fairclick ledger …`: balances, entries, statements, maturity and payouts."""

from __future__ import annotations

import getpass
from datetime import date, timedelta
from pathlib import Path

import typer

from fairclick.cli.common import (
    console,
    database,
    fail,
    handled,
    print_json,
    print_record,
    print_table,
    settings,
)
from fairclick.domain.clock import parse_timestamp, system_clock
from fairclick.domain.money import Money
from fairclick.ledger import payouts, service, statements
from fairclick.ledger.render import FORMATS, render
from fairclick.ledger.settlement import mature as mature_clicks

app = typer.Typer(help="The ledger: balances, entries, statements, payouts.", no_args_is_help=True)
payout_app = typer.Typer(
    help="Payout batches: run, export (SEPA pain.001 + CSV), mark paid, cancel.",
    no_args_is_help=True,
)
app.add_typer(payout_app, name="payout")


def _by() -> str:
    return f"cli:{getpass.getuser()}"


def _money(minor: int, currency: str) -> str:
    return Money(minor, currency).format()


def _show_balances(title: str, rows: list[service.Balance], as_json: bool) -> None:
    if as_json:
        print_json(
            [
                {
                    "account": r.kind,
                    "owner_id": r.owner_id,
                    "currency": r.currency,
                    "minor": r.amount_minor,
                }
                for r in rows
            ]
        )
    else:
        print_table(
            title,
            ("account", "owner", "balance"),
            [(r.kind, r.owner_id, _money(r.amount_minor, r.currency)) for r in rows],
        )


@app.command()
def balance(
    influencer: str | None = typer.Option(None, help="Influencer key."),
    org: str | None = typer.Option(None, help="Organisation key."),
    campaign: str | None = typer.Option(None, help="Campaign key."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (amounts in minor units)."),
) -> None:
    """Balances of an influencer, an organisation, a campaign, or the platform.

    With no option: the platform's revenue and the trial balance (zero per currency when the
    ledger is sound).
    """
    with handled(), database().session() as session:
        if influencer:
            _show_balances(
                f"influencer {influencer}",
                service.influencer_balances(session, influencer),
                as_json,
            )
        elif org:
            _show_balances(
                f"organisation {org}", service.organisation_balances(session, org), as_json
            )
        elif campaign:
            b = service.campaign_budget(session, campaign)
            fields = [
                ("budget", b.budget_minor),
                ("committed", b.committed_minor),
                ("spent", b.spent_minor),
                ("remaining", b.remaining_minor),
            ]
            if as_json:
                print_json({"campaign": b.campaign_key, "currency": b.currency, **dict(fields)})
            else:
                print_record(
                    f"campaign {campaign}", [(k, _money(v, b.currency)) for k, v in fields]
                )
        else:
            trial = service.trial_balance(session)
            if as_json:
                revenue = {r.currency: r.amount_minor for r in service.platform_balances(session)}
                print_json({"platform_revenue": revenue, "trial_balance": trial})
                return
            _show_balances("platform", service.platform_balances(session), False)
            for currency, total in sorted(trial.items()):
                state = "ok" if total == 0 else "UNBALANCED"
                console.print(f"trial balance {currency}: {total} ({state})", highlight=False)


@app.command()
def entries(
    click: str | None = typer.Option(None, help="Click id."),
    campaign: str | None = typer.Option(None, help="Campaign key."),
    influencer: str | None = typer.Option(None, help="Influencer key."),
    kind: str | None = typer.Option(
        None, help="Entry kind (click, reversal, clawback, maturity, payout…)."
    ),
    limit: int = typer.Option(50, min=1, max=10000, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (amounts in minor units)."),
) -> None:
    """Journal entries with their lines, newest first."""
    with handled(), database().session() as session:
        views = service.list_entries(
            session,
            click_id=click,
            campaign_key=campaign,
            influencer_key=influencer,
            kind=kind,
            limit=limit,
        )
        if as_json:
            print_json(
                [
                    {
                        "id": v.entry.id,
                        "kind": v.entry.kind,
                        "at": v.entry.at,
                        "click_id": v.entry.click_id,
                        "reverses_entry_id": v.entry.reverses_entry_id,
                        "memo": v.entry.memo,
                        "by": v.entry.by,
                        "lines": [
                            {"account": k, "owner_id": o, "currency": c, "minor": a}
                            for k, o, c, a in v.lines
                        ],
                    }
                    for v in views
                ]
            )
            return
        for view in views:
            e = view.entry
            ref = f" reverses #{e.reverses_entry_id}" if e.reverses_entry_id else ""
            console.print(
                f"#{e.id} {e.at:%Y-%m-%d %H:%M:%S} {e.kind}{ref} {e.click_id or ''} {e.memo}".rstrip(),
                highlight=False,
            )
            for account, owner, currency, amount in view.lines:
                console.print(
                    f"    {account:<22} {owner:>8}  {_money(amount, currency):>16}", highlight=False
                )


@app.command()
def statement(
    month: str = typer.Option(..., help="Month, e.g. 2025-11 (UTC)."),
    org: str | None = typer.Option(None, help="Organisation key (advertiser statement)."),
    influencer: str | None = typer.Option(None, help="Influencer key (influencer statement)."),
    fmt: str = typer.Option("json", "--format", help="json, csv or html."),
    out: Path | None = typer.Option(None, help="Write here instead of standard output."),
) -> None:
    """A monthly statement of an advertiser or an influencer."""
    if (org is None) == (influencer is None):
        raise fail("give exactly one of --org or --influencer")
    if fmt not in FORMATS:
        raise fail(f"unknown format {fmt!r} (one of: {', '.join(FORMATS)})")
    with handled(), database().session() as session:
        data = (
            statements.advertiser_statement(session, org, month)
            if org
            else statements.influencer_statement(session, influencer or "", month)
        )
        text = render(data, fmt)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        typer.echo(text, nl=not text.endswith("\n"))


@app.command()
def mature(
    now: str | None = typer.Option(None, help="Pretend it is this time (RFC 3339); default now."),
) -> None:
    """Move earnings whose hold period ended from pending to available."""
    try:
        when = parse_timestamp(now) if now else system_clock.now()
    except ValueError as exc:
        raise fail(f"--now: {exc}") from None
    with handled(), database().session() as session:
        count = mature_clicks(session, now=when)
    console.print(f"{count} clicks matured")


@app.command()
def override(
    campaign: str = typer.Argument(..., help="Campaign key."),
    payout: int = typer.Option(..., min=0, help="Payout per valid click, minor units."),
    price: int | None = typer.Option(None, min=0, help="Advertiser price per click, minor units."),
    tier: str | None = typer.Option(None, help="nano, micro, macro or mega."),
    network: str | None = typer.Option(None, help="x, instagram, tiktok…"),
    country: str | None = typer.Option(None, help="ISO country of the click, e.g. FR."),
) -> None:
    """Add a rate-card exception to a campaign (most specific match wins)."""
    with handled(), database().session() as session:
        row = service.add_override(
            session,
            campaign,
            payout_minor=payout,
            price_minor=price,
            tier=tier,
            network=network,
            country=country,
        )
        console.print(f"override #{row.id} added to {campaign}")


@payout_app.command("bank")
def bank(
    influencer: str = typer.Argument(..., help="Influencer key."),
    holder: str = typer.Option(..., help="Account holder."),
    iban: str = typer.Option(..., help="IBAN."),
    bic: str | None = typer.Option(None, help="BIC (derived from the IBAN when known)."),
) -> None:
    """Set an influencer's bank details (validated IBAN and BIC)."""
    from fairclick.influencers.service import get_influencer_by_key

    with handled(), database().session() as session:
        person = get_influencer_by_key(session, influencer)
        row = payouts.set_bank_account(session, person.id, holder, iban, bic)
        console.print(f"{influencer}: {row.holder} {row.iban} {row.bic}")


@payout_app.command("list")
def list_batches(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (amounts in minor units)."),
) -> None:
    """Payout batches, newest first."""
    with handled(), database().session() as session:
        batches = payouts.list_batches(session)
        if as_json:
            print_json(
                [
                    {
                        "id": b.id,
                        "currency": b.currency,
                        "status": b.status,
                        "items": b.item_count,
                        "total_minor": b.total_minor,
                        "created_at": b.created_at,
                        "decided_at": b.decided_at,
                    }
                    for b in batches
                ]
            )
            return
        print_table(
            "payout batches",
            ("batch", "status", "transfers", "total", "created", "decided"),
            [
                (
                    b.id,
                    b.status,
                    b.item_count,
                    _money(b.total_minor, b.currency),
                    b.created_at,
                    b.decided_at,
                )
                for b in batches
            ],
        )


@payout_app.command("run")
def run(
    currency: str = typer.Option("EUR", help="Currency of the batch."),
    minimum: int | None = typer.Option(
        None, "--min", min=0, help="Minimum payout, minor units (default: settings)."
    ),
) -> None:
    """Open a payout batch for everyone whose net available balance reaches the minimum.

    Net = available minus clawbacks; influencers without bank details are listed, not paid.
    """
    floor = settings().min_payout_minor if minimum is None else minimum
    with handled(), database().session() as session:
        result = payouts.run_payouts(
            session, currency=currency, at=system_clock.now(), by=_by(), min_minor=floor
        )
        for owner in result.missing_bank_details:
            console.print(f"influencer #{owner} is due a payout but has no bank details")
        if result.batch is None:
            console.print("nobody is due a payout")
            return
        b = result.batch
        console.print(
            f"batch {b.id}: {b.item_count} transfers, {_money(b.total_minor, b.currency)}"
        )


@payout_app.command("export")
def export(
    batch: int = typer.Argument(..., help="Batch id."),
    xml: Path | None = typer.Option(None, help="Write the SEPA pain.001 file here."),
    csv: Path | None = typer.Option(None, help="Write the CSV here."),
    debtor_name: str | None = typer.Option(None, help="Paying account holder (default: settings)."),
    debtor_iban: str | None = typer.Option(None, help="Paying IBAN (default: settings)."),
    debtor_bic: str | None = typer.Option(None, help="Paying BIC (default: settings)."),
    execution_date: str | None = typer.Option(None, help="YYYY-MM-DD; default: next day."),
) -> None:
    """Export a batch as SEPA credit transfers (pain.001.001.03) and/or CSV."""
    if xml is None and csv is None:
        raise fail("give --xml and/or --csv")
    try:
        when = (
            date.fromisoformat(execution_date)
            if execution_date
            else system_clock.now().date() + timedelta(days=1)
        )
    except ValueError:
        raise fail(f"--execution-date: {execution_date!r} is not YYYY-MM-DD") from None
    cfg = settings()
    with handled(), database().session() as session:
        if xml is not None:
            debtor = payouts.debtor_from(
                debtor_name or cfg.payout_debtor_name,
                debtor_iban or cfg.payout_debtor_iban,
                debtor_bic or cfg.payout_debtor_bic,
            )
            xml.write_bytes(payouts.export_sepa(session, batch, debtor=debtor, execution_date=when))
            console.print(f"wrote {xml}")
        if csv is not None:
            csv.write_text(payouts.export_csv(session, batch), encoding="utf-8")
            console.print(f"wrote {csv}")


@payout_app.command("mark-paid")
def mark_paid(batch: int = typer.Argument(..., help="Batch id.")) -> None:
    """The bank executed the batch: move its amounts to paid."""
    with handled(), database().session() as session:
        b = payouts.mark_paid(session, batch, at=system_clock.now(), by=_by())
        console.print(f"batch {b.id} paid: {_money(b.total_minor, b.currency)}")


@payout_app.command("cancel")
def cancel(
    batch: int = typer.Argument(..., help="Batch id."),
    failed: bool = typer.Option(False, "--failed", help="The bank rejected it (else: cancelled)."),
) -> None:
    """Cancel an open batch (or record that it failed): its money returns to available."""
    with handled(), database().session() as session:
        b = payouts.cancel_batch(session, batch, at=system_clock.now(), by=_by(), failed=failed)
        console.print(
            f"batch {b.id} {b.status}: {_money(b.total_minor, b.currency)} back to available"
        )
