"""Payout batches: eligibility, clawback netting, paid / cancelled, SEPA pain.001 and CSV."""

from __future__ import annotations

from datetime import date, timedelta
from importlib.resources import files

import pytest
from lxml import etree

from fairclick.domain.errors import IllegalTransition, InvalidInput
from fairclick.ledger import repository as repo
from fairclick.ledger.models import AccountKind
from fairclick.ledger.payouts import (
    PAIN_SCHEMA,
    cancel_batch,
    check_bank_details,
    debtor_from,
    export_csv,
    export_sepa,
    mark_paid,
    run_payouts,
    set_bank_account,
)
from fairclick.ledger.posting import bill_clicks, mature, reverse_click
from tests.conftest import TestDb
from tests.ledger.conftest import START, LedgerWorld, ledger_world

NOW = START + timedelta(hours=1)
LATER = NOW + timedelta(days=30)
NINA_IBAN = "FR76 3000 6000 0112 3456 7890 189"
NOAH_IBAN = "DE89 3704 0044 0532 0130 00"


def _earn(test_db: TestDb, world: LedgerWorld, nina: int, noah: int) -> None:
    clicks = [world.click(n, "nina") for n in range(nina)]
    clicks += [world.click(100 + n, "noah") for n in range(noah)]
    with test_db.db.session() as session:
        bill_clicks(session, clicks, now=NOW)
        mature(session, now=LATER)
        set_bank_account(session, world.influencers["nina"], "Nina Dupré", NINA_IBAN)
        set_bank_account(session, world.influencers["noah"], "Noah Weber", NOAH_IBAN, "COBADEFFXXX")


def test_bank_details_are_validated() -> None:
    assert check_bank_details(" Nina  D ", NINA_IBAN).iban == "FR7630006000011234567890189"
    assert check_bank_details("Nina", NINA_IBAN).bic == "AGRIFRPPXXX"
    with pytest.raises(InvalidInput, match="IBAN"):
        check_bank_details("Nina", "FR76 3000 6000 0112 3456 7890 188")
    with pytest.raises(InvalidInput, match="BIC"):
        check_bank_details("Nina", NINA_IBAN, "XX")
    with pytest.raises(InvalidInput, match="holder"):
        check_bank_details("  ", NINA_IBAN)


def test_run_pays_those_over_the_minimum_net_of_clawbacks(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=10000)
    _earn(test_db, world, nina=40, noah=10)  # nina 12.00 EUR, noah 3.00 EUR available
    nina, noah = world.influencers["nina"], world.influencers["noah"]
    with test_db.db.session() as session:
        reverse_click(session, world.click(0).click_id, reason="burst", at=LATER, by="retro")
        run = run_payouts(session, currency="EUR", at=LATER, by="op", min_minor=1000)
        assert run.batch is not None and run.missing_bank_details == []
        assert (run.batch.item_count, run.batch.total_minor) == (1, 1170)
        batch_id = run.batch.id
        # A lower minimum pays noah in a second batch; nina's money is not paid twice.
        assert (
            run_payouts(session, currency="EUR", at=LATER, by="op", min_minor=1).batch is not None
        )
    with test_db.db.session() as session:
        assert repo.balance(session, AccountKind.INFLUENCER_AVAILABLE, nina, "EUR") == 0
        assert repo.balance(session, AccountKind.INFLUENCER_CLAWBACK, nina, "EUR") == 0
        assert repo.balance(session, AccountKind.INFLUENCER_IN_PAYOUT, nina, "EUR") == 1170
        assert repo.balance(session, AccountKind.INFLUENCER_IN_PAYOUT, noah, "EUR") == 300
        assert run_payouts(session, currency="EUR", at=LATER, by="op", min_minor=1).batch is None
        mark_paid(session, batch_id, at=LATER, by="op")
        with pytest.raises(IllegalTransition):
            cancel_batch(session, batch_id, at=LATER, by="op")
    with test_db.db.session() as session:
        assert repo.balance(session, AccountKind.INFLUENCER_PAID, nina, "EUR") == 1170
        assert repo.balance(session, AccountKind.INFLUENCER_IN_PAYOUT, nina, "EUR") == 0


def test_cancelled_or_failed_batch_returns_money_to_available(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=10000)
    _earn(test_db, world, nina=40, noah=40)
    nina = world.influencers["nina"]
    for failed in (False, True):
        with test_db.db.session() as session:
            batch = run_payouts(session, currency="EUR", at=LATER, by="op", min_minor=1000).batch
            assert batch is not None and batch.total_minor == 2400
            cancel_batch(session, batch.id, at=LATER, by="op", failed=failed)
            assert batch.status == ("failed" if failed else "cancelled")
        with test_db.db.session() as session:
            assert repo.balance(session, AccountKind.INFLUENCER_AVAILABLE, nina, "EUR") == 1200
            assert repo.balance(session, AccountKind.INFLUENCER_PAID, nina, "EUR") == 0


def test_missing_bank_details_are_reported_not_paid(sqlite_db: TestDb) -> None:
    world = ledger_world(sqlite_db.db, budget=10000)
    with sqlite_db.db.session() as session:
        bill_clicks(session, [world.click(n) for n in range(40)], now=NOW)
        mature(session, now=LATER)
        run = run_payouts(session, currency="EUR", at=LATER, by="op", min_minor=1000)
    assert run.batch is None and run.missing_bank_details == [world.influencers["nina"]]


def test_pain001_validates_against_the_iso20022_schema(test_db: TestDb) -> None:
    world = ledger_world(test_db.db, budget=10000)
    _earn(test_db, world, nina=40, noah=41)
    debtor = debtor_from("Fairclick SAS", "FR14 2004 1010 0505 0001 3M02 606", "PSSTFRPPXXX")
    with test_db.db.session() as session:
        batch = run_payouts(session, currency="EUR", at=LATER, by="op", min_minor=1000).batch
        assert batch is not None
        xml = export_sepa(session, batch.id, debtor=debtor, execution_date=date(2025, 12, 20))
        text = export_csv(session, batch.id)
    xsd_path = files("sepaxml") / "schemas" / f"{PAIN_SCHEMA}.xsd"
    schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    document = etree.fromstring(xml)
    schema.assertValid(document)
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{PAIN_SCHEMA}"}
    assert document.findtext(".//p:GrpHdr/p:NbOfTxs", namespaces=ns) == "2"
    assert document.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=ns) == "24.30"
    ibans = document.xpath("//p:CdtTrfTxInf//p:IBAN/text()", namespaces=ns)
    assert sorted(ibans) == ["DE89370400440532013000", "FR7630006000011234567890189"]
    rows = text.strip().splitlines()
    assert rows[0].startswith("batch_id,influencer_id,holder,iban")
    assert len(rows) == 3 and rows[1].endswith(
        ",1200,12.00,EUR," + f"FAIRCLICK-{batch.id}-{world.influencers['nina']}"
    )
    # And a broken document is refused by the same check: the test can fail.
    document.find(".//p:GrpHdr/p:NbOfTxs", namespaces=ns).text = "two"
    assert not schema.validate(document)
