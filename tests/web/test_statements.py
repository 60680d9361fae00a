"""Statements from the ledger: pages, CSV, bad months, scope."""

from __future__ import annotations

from tests.web.conftest import Web


def test_statement_pages_render_for_each_role(web: Web) -> None:
    anna = web.client("anna@vox.example").get("/statements/2025-11")
    assert anna.status_code == 200 and "Agence Vox" in anna.text
    assert "Nothing billed in this month." in anna.text
    csv = web.client("anna@vox.example").get("/statements/2025-11.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("month,")
    lucas = web.client("lucas@example.org").get("/me/statements/2025-11")
    assert lucas.status_code == 200 and "Lucas L." in lucas.text
    admin = web.client("admin@fairclick.example")
    assert admin.get("/statements/2025-11?org=rival").status_code == 200
    assert admin.get("/statements/2025-11").status_code == 404


def test_bad_months_and_wrong_roles_are_404(web: Web) -> None:
    anna = web.client("anna@vox.example")
    assert anna.get("/statements/2025-13").status_code == 404
    assert anna.get("/statements/november").status_code == 404
    assert anna.get("/me/statements/2025-11").status_code == 404
    lucas = web.client("lucas@example.org")
    assert lucas.get("/statements/2025-11").status_code == 404
    assert lucas.get("/statements/2025-11.csv").status_code == 404
