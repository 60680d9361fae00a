"""Text normalisation that keeps track of where each character came from.

Rules and character n-grams read a folded form of the post (lower case, no accents, light
leetspeak undone, repeated letters squeezed), so that "CLIIIQUEZ", "cliquez" and "cl1quez"
look alike. Evidence must still point into the text the influencer wrote, so every folded
character remembers its offset in the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Digits that stand for letters when they sit between two letters ("cl1quez", "l1nk").
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s"}
# Typographic variants that carry no meaning for the rules.
_TOKEN = re.compile(r"(?<![\w$])[^\W\d_][\w$]*?[0-57$][\w$]*?[^\W\d_](?![\w$])")
_PUNCT = {"’": "'", "‘": "'", "ʼ": "'", "`": "'", "«": '"', "»": '"', "“": '"', "”": '"'}


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded text and, for each of its characters, the offset of its source character."""

    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that produced folded characters `start:end`."""
        if not self.origin or start >= end:
            return (0, 0)
        return (self.origin[start], self.origin[end - 1] + 1)


def _base_chars(ch: str) -> str:
    """Lower-case `ch` and drop its diacritics (é → e, ß → ss, Ä → a)."""
    lowered = _PUNCT.get(ch, ch).lower()
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> Folded:
    """Fold `text` for matching: lower case, no accents, light leetspeak, no letter repeats.

    Every run of one repeated letter becomes a single letter ("cliiiquez" → "cliquez",
    "follow" → "folow"); patterns are squeezed the same way (see `rules.compile_pattern`).
    """
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for out in _base_chars(ch):
            chars.append(out)
            origin.append(i)
    # Leetspeak: only inside a token that starts and ends with a letter ("cl1quez", "r34d"),
    # so "0,35 €", "4G" and "10k" keep their meaning.
    for token in _TOKEN.finditer("".join(chars)):
        for k in range(token.start(), token.end()):
            chars[k] = _LEET.get(chars[k], chars[k])
    squeezed: list[str] = []
    squeezed_origin: list[int] = []
    for ch, at in zip(chars, origin, strict=True):
        if squeezed and ch.isalpha() and squeezed[-1] == ch:
            continue
        squeezed.append(ch)
        squeezed_origin.append(at)
    return Folded("".join(squeezed), tuple(squeezed_origin))


def squeeze_letters(pattern: str) -> str:
    """Squeeze repeated letters in a regex source the way `fold` squeezes text.

    Escaped characters (`\\b`, `\\w`) are copied untouched; a letter is dropped only when it
    repeats the previous plain letter.
    """
    out: list[str] = []
    previous = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            previous = ""
            i += 2
            continue
        if ch.isalpha() and ch == previous:
            i += 1
            continue
        out.append(ch)
        previous = ch if ch.isalpha() else ""
        i += 1
    return "".join(out)
