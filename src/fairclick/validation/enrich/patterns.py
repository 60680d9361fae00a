"""Fast matching of large bot pattern lists (hundreds to thousands of regexes).

Python's `re` tries every alternative at every position, so one big alternation of
CrawlerDetect's ~1,400 patterns costs tens of milliseconds per user agent. Here each pattern is
split at its top-level `|`; an alternative that is a plain string goes into an Aho-Corasick
automaton; one with a literal run of 3+ characters that any match must contain is tried only
when that run occurs (found by the same automaton); one anchored at the start joins a single
`match`-only alternation; the few left run as one alternation. Case-insensitive throughout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

_UNESCAPE = re.compile(r"\\([^A-Za-z0-9])")
_META = set("\\^$.[]()|?*+{}")
_QUANT = set("?*{")


def split_top(pattern: str) -> list[str]:
    """The alternatives of `pattern` at depth 0 (outside groups and character classes)."""
    parts, depth, klass, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if klass:
            klass = c != "]"
        elif c == "[":
            klass = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def plain(pattern: str) -> str | None:
    """The string a pattern matches literally, or None when it uses regex syntax."""
    text = _UNESCAPE.sub(r"\1", pattern)
    if any(c in _META for c in _UNESCAPE.sub("", pattern)):
        return None
    return text


def required_literal(pattern: str) -> str:
    """The longest run of literal characters at depth 0 that every match must contain."""
    best, run, depth, klass, i = "", "", 0, False, 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if klass:
            klass = c != "]"
            i += 1
            continue
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            literal = None if nxt.isalnum() else nxt
            step = 2
        elif c in _META:
            literal, step = None, 1
            if c == "[":
                klass = True
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
        else:
            literal, step = c, 1
        follow = pattern[i + step] if i + step < n else ""
        if literal is not None and depth == 0 and follow not in _QUANT:
            run += literal
        else:
            if literal is not None and depth == 0 and follow in _QUANT:
                pass  # an optional character ends the run without joining it
            best = max(best, run, key=len)
            run = ""
        i += step
    return max(best, run, key=len)


_LEADING_CLASS_STAR = re.compile(r"^\[(?:\\.|[^\]])*\]\*")


def group_words(pattern: str) -> list[str] | None:
    """For `[class]*(word1|word2|…)` (CrawlerDetect's catch-all): the words, each of which a
    match must contain; None for any other shape."""
    body = _LEADING_CLASS_STAR.sub("", pattern)
    if not (body.startswith("(") and body.endswith(")")) or body.startswith("(?"):
        return None
    words = [plain(w) for w in split_top(body[1:-1])]
    if not words or any(w is None or len(w) < 3 for w in words):
        return None
    return [w for w in words if w]


@dataclass(frozen=True, slots=True)
class Match:
    """Which pattern (index in the source list) matched, and the text it matched."""

    index: int
    text: str


class PatternSet:
    """A list of case-insensitive regexes (Python syntax) answering `search` quickly."""

    def __init__(self, patterns: list[str]) -> None:
        self.automaton = ahocorasick.Automaton()
        keyed: dict[str, list[tuple[int, re.Pattern[str] | None, int]]] = {}
        anchored: list[tuple[int, str]] = []
        rest: list[tuple[int, str]] = []
        self.skipped = 0
        for index, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error:
                self.skipped += 1
                continue
            for alt in split_top(pattern):
                text = plain(alt)
                if text:
                    keyed.setdefault(text.lower(), []).append((index, None, len(text)))
                    continue
                words = group_words(alt)
                if words:
                    compiled = re.compile(alt, re.IGNORECASE)
                    for word in words:
                        keyed.setdefault(word.lower(), []).append((index, compiled, 0))
                    continue
                key = required_literal(alt)
                if len(key) >= 3:
                    keyed.setdefault(key.lower(), []).append(
                        (index, re.compile(alt, re.IGNORECASE), 0)
                    )
                elif alt.startswith("^"):
                    anchored.append((index, alt))
                else:
                    rest.append((index, alt))
        for key, entries in keyed.items():
            self.automaton.add_word(key, entries)
        if keyed:
            self.automaton.make_automaton()
        self.keyed = bool(keyed)
        self.anchored = self._group(anchored)
        self.rest = self._group(rest)
        self.rest_patterns = [(i, re.compile(p, re.IGNORECASE)) for i, p in rest]
        self.anchored_patterns = [(i, re.compile(p, re.IGNORECASE)) for i, p in anchored]

    @staticmethod
    def _group(items: list[tuple[int, str]]) -> re.Pattern[str] | None:
        if not items:
            return None
        return re.compile("|".join(f"(?:{p})" for _, p in items), re.IGNORECASE)

    def search(self, text: str) -> Match | None:
        """The matching pattern with the lowest index, or None."""
        found: list[Match] = []
        if self.keyed:
            lowered = text.lower()
            for end, entries in self.automaton.iter(lowered):
                for index, regex, length in entries:
                    if regex is None:
                        found.append(Match(index, text[max(0, end + 1 - length) : end + 1]))
                    else:
                        hit = regex.search(text)
                        if hit:
                            found.append(Match(index, hit.group(0)))
        if self.anchored is not None and self.anchored.match(text):
            found += [
                Match(i, m.group(0)) for i, r in self.anchored_patterns if (m := r.match(text))
            ]
        if self.rest is not None and self.rest.search(text):
            found += [Match(i, m.group(0)) for i, r in self.rest_patterns if (m := r.search(text))]
        return min(found, key=lambda m: m.index) if found else None
