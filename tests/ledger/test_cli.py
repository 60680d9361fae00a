"""`fairclick ledger …` end to end: balances, entries, maturity, payouts, statements."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from lxml import etree

from fairclick.ledger.posting import bill_clicks
from tests.cli.conftest import Cli
from tests.conftest import TestDb
from tests.factories import TEST_SECRET
from tests.ledger.conftest import START, ledger_world


def test_ledger_commands(test_db: TestDb, tmp_path: Path) -> None:
    world = ledger_world(test_db.db, budget=5000)
    with test_db.db.session() as session:
        bill_clicks(session, [world.click(n) for n in range(40)], now=START + timedelta(hours=1))
    cli = Cli(env={"FAIRCLICK_DATABASE_URL": test_db.url, "FAIRCLICK_SECRET_KEY": TEST_SECRET})

    assert cli.json("ledger", "balance") == {
        "platform_revenue": {"EUR": 800},
        "trial_balance": {"EUR": 0},
    }
    assert cli.json("ledger", "balance", "--campaign", "camp")["spent"] == 2000
    assert "influencer_pending" in cli.ok("ledger", "balance", "--influencer", "nina").stdout
    # One CLICK entry bills a batch's clicks of one influencer; --click finds it too.
    entries = cli.json("ledger", "entries", "--kind", "click", "--limit", "3")
    assert len(entries) == 1 and entries[0]["memo"] == "40 clicks"
    assert {line["account"]: line["minor"] for line in entries[0]["lines"]} == {
        "campaign_budget": -2000,
        "influencer_pending": 1200,
        "platform_revenue": 800,
    }
    assert cli.json("ledger", "entries", "--click", world.click(7).click_id) == entries
    assert "40 clicks matured" in cli.ok("ledger", "mature", "--now", "2026-01-01T00:00:00Z").stdout
    cli.ok(
        "ledger",
        "payout",
        "bank",
        "nina",
        "--holder",
        "Nina D",
        "--iban",
        "FR7630006000011234567890189",
    )
    assert (
        "batch 1: 1 transfers, 12.00 EUR"
        in cli.ok("ledger", "payout", "run", "--min", "1000").stdout
    )
    xml, csv = tmp_path / "batch.xml", tmp_path / "batch.csv"
    assert "no debtor IBAN" in cli.fails("ledger", "payout", "export", "1", "--xml", str(xml))
    cli.ok(
        "ledger", "payout", "export", "1", "--xml", str(xml), "--csv", str(csv),
        "--debtor-name", "Fairclick", "--debtor-iban", "DE89370400440532013000",
    )  # fmt: skip
    assert etree.parse(str(xml)).getroot().tag.endswith("Document") and "12.00" in csv.read_text()
    cli.ok("ledger", "payout", "mark-paid", "1")
    assert [
        (b["id"], b["status"], b["total_minor"]) for b in cli.json("ledger", "payout", "list")
    ] == [(1, "paid", 1200)]
    assert "is paid, not open" in cli.fails("ledger", "payout", "cancel", "1")
    page = tmp_path / "nov.html"
    cli.ok(
        "ledger",
        "statement",
        "--org",
        "acme",
        "--month",
        "2025-11",
        "--format",
        "html",
        "--out",
        str(page),
    )
    assert "20.00 EUR" in page.read_text()
    assert (
        "nina"
        in cli.ok(
            "ledger", "statement", "--influencer", "nina", "--month", "2025-11", "--format", "csv"
        ).stdout
    )
    assert "exactly one" in cli.fails("ledger", "statement", "--month", "2025-11")
    assert "not a month" in cli.fails("ledger", "statement", "--org", "acme", "--month", "11/2025")
    assert "invalid IBAN" in cli.fails(
        "ledger", "payout", "bank", "nina", "--holder", "N", "--iban", "FR00"
    )
