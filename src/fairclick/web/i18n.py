"""Languages of the web pages: Babel catalogues (`locales/<lang>/LC_MESSAGES/messages.po`)
compiled in memory at start, the browser's `Accept-Language` as default, a cookie to switch.

No build step: the `.po` files ship in the package and are compiled when the app is created.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"
# Order matters: it is the order of the language menu.
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français"}
LANG_COOKIE = "fc_lang"

_current: ContextVar[gettext.NullTranslations | None] = ContextVar(
    "fairclick_web_translations", default=None
)
_NULL = gettext.NullTranslations()


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translated at render)."""
    return message


def load_catalogues(directory: Path = LOCALES_DIR) -> dict[str, gettext.NullTranslations]:
    """Every supported language's translations, compiled from its `.po` file (English is the
    source language and needs none)."""
    catalogues: dict[str, gettext.NullTranslations] = {DEFAULT_LANGUAGE: gettext.NullTranslations()}
    for lang in LANGUAGES:
        po = directory / lang / "LC_MESSAGES" / "messages.po"
        if lang == DEFAULT_LANGUAGE or not po.exists():
            continue
        with po.open("rb") as handle:
            catalogue = read_po(handle, locale=lang)
        buffer = BytesIO()
        write_mo(buffer, catalogue, use_fuzzy=False)
        buffer.seek(0)
        catalogues[lang] = gettext.GNUTranslations(buffer)
    return catalogues


def negotiate(accept_language: str, cookie: str | None) -> str:
    """The language to answer in: a supported cookie value, else the best supported language of
    the `Accept-Language` header (by q-value, then order), else English."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:20]):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def activate(translations: gettext.NullTranslations) -> None:
    """Make `translations` the current request's catalogue."""
    _current.set(translations)


def gettext_(message: str) -> str:
    """Translate `message` into the current request's language."""
    return (_current.get() or _NULL).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    """Translate with a plural form for `n`."""
    return (_current.get() or _NULL).ngettext(singular, plural, n)
