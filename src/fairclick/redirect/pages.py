"""The small pages the redirect answers itself (they never echo the request back)."""

from __future__ import annotations


def _page(title: str, message: str) -> bytes:
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{title}</title>"
        "<body style='font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;"
        f"padding:0 1rem'><h1>{title}</h1><p>{message}</p></body></html>"
    ).encode()


NOT_FOUND = _page("Link not found", "This link does not exist. Check that it was copied whole.")
GONE = _page("This campaign has ended", "The link you followed belongs to a campaign that is over.")
UNAVAILABLE = _page("Try again", "We could not record your visit just now; please reload.")
