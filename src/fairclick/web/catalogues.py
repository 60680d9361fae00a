"""Maintain the translation catalogues: `python -m fairclick.web.catalogues extract|check`.

- `extract` collects every marked string (Python `_()`/`N_()`, templates `_()`) into
  `locales/messages.pot` and merges it into each language's `messages.po` (new strings are
  added empty, vanished ones marked obsolete).
- `check` fails (exit 1, one line per problem) when a language has an untranslated or fuzzy
  string, a translation whose %-placeholders differ from the source, or a catalogue that does
  not compile. The test suite runs the same check.
"""

from __future__ import annotations

import re
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from fairclick.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALES_DIR

PACKAGE = Path(__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
KEYWORDS = {"_": None, "gettext_": None, "N_": None, "ngettext_": (1, 2)}
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[sd]")


def _placeholders(text: object) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text)) if isinstance(text, str) else []


def extract() -> Catalog:
    """Every marked message of the web package."""
    catalog = Catalog(project="fairclick", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE, METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(lang: str) -> Path:
    """Where a language's catalogue lives."""
    return LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"


def update() -> None:
    """Write the template and merge it into every language's catalogue."""
    template = extract()
    with (LOCALES_DIR / "messages.pot").open("wb") as handle:
        write_po(handle, template, omit_header=False, sort_output=True)
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="fairclick", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, ignore_obsolete=True)


def problems() -> list[str]:
    """What is wrong with the committed catalogues (empty: nothing)."""
    found: list[str] = []
    wanted = {m.id for m in extract() if m.id}
    for lang in LANGUAGES:
        if lang == DEFAULT_LANGUAGE:
            continue
        path = po_path(lang)
        if not path.exists():
            found.append(f"{lang}: no catalogue at {path}")
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        have = {m.id: m for m in catalog if m.id}
        for msgid in sorted(wanted, key=str):
            message = have.get(msgid)
            if message is None:
                found.append(f"{lang}: missing {msgid!r} (run extract)")
            elif not message.string or message.fuzzy:
                found.append(f"{lang}: untranslated {msgid!r}")
            elif _placeholders(msgid) != _placeholders(message.string):
                found.append(f"{lang}: placeholders differ in {msgid!r}")
        try:
            write_mo(BytesIO(), catalog)
        except Exception as exc:  # a broken catalogue must be reported, whatever broke
            found.append(f"{lang}: does not compile: {exc}")
    return found


def main(argv: list[str]) -> int:
    """Command-line entry: `extract` or `check`."""
    if argv[:1] == ["extract"]:
        update()
        return 0
    if argv[:1] == ["check"]:
        issues = problems()
        for line in issues:
            print(line)
        return 1 if issues else 0
    print("usage: python -m fairclick.web.catalogues extract|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
