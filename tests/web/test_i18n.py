"""Languages: catalogues complete, Accept-Language by default, the switch, formats."""

from __future__ import annotations

import pytest

from fairclick.domain.reasons import REASON_MEANINGS
from fairclick.web import catalogues
from fairclick.web.i18n import negotiate
from fairclick.web.labels import REASONS
from tests.web.conftest import Web, add_click, csrf_of


def test_catalogues_are_complete_and_compile() -> None:
    assert catalogues.problems() == []


def test_reason_texts_match_the_domain() -> None:
    assert {reason.value: text for reason, text in REASON_MEANINGS.items()} == REASONS


@pytest.mark.parametrize(
    ("header", "cookie", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", None, "fr"),
        ("de-DE,de;q=0.9,en;q=0.5", None, "en"),
        ("de-DE, fr;q=0.4", None, "fr"),
        ("en;q=0.2, fr;q=0.8", None, "fr"),
        ("", None, "en"),
        ("garbage;;q=x,,", None, "en"),
        ("fr", "en", "en"),
        ("en", "xx", "en"),
    ],
)
def test_negotiate(header: str, cookie: str | None, expected: str) -> None:
    assert negotiate(header, cookie) == expected


def test_browser_language_is_the_default(web: Web) -> None:
    page = web.client(**{"accept-language": "fr-FR,fr;q=0.9"}).get("/login").text
    assert '<html lang="fr">' in page and "Se connecter" in page and "Mot de passe" in page


def test_language_switch_is_remembered(web: Web) -> None:
    client = web.client("anna@vox.example", **{"accept-language": "en"})
    page = client.get("/campaigns").text
    assert "Campaigns" in page
    client.post("/lang", data={"csrf_token": csrf_of(page), "lang": "fr", "next": "/campaigns"})
    french = client.get("/campaigns").text
    assert '<html lang="fr">' in french and "Nouvelle campagne" in french


def test_reasons_and_money_are_localised(web: Web) -> None:
    add_click(web.db, "bviabRurGt", verdict="invalid", reasons=["datacenter"])
    add_click(web.db, "bviabRurGt", billed_minor=1234567, payout_minor=45)
    client = web.client("lucas@example.org", **{"accept-language": "fr"})
    page = client.get("/me/clicks").text
    assert "La requête venait d'un réseau d'hébergement" in page.replace("&#39;", "'")
    anna = web.client("anna@vox.example", **{"accept-language": "fr"})
    listing = anna.get("/campaigns").text
    assert "12\u202f345,67\xa0€" in listing or "12 345,67" in listing.replace("\u202f", " ")
