"""Properties of folding and matching that must hold for any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fairclick.incitement.normalize import fold
from fairclick.incitement.rules import match

WORDS = st.sampled_from(
    [
        "clic",
        "CLIIIQUEZ",
        "pour",
        "me",
        "soutenir",
        "İstanbul",
        "Straße",
        "👉",
        "🙏",
        "je",
        "suis",
        "payé",
        "au",
        "click",
        "for",
        "«",
        "»",
        '"',
        ".",
        "\n",
        "c4c",
        "#pub",
        "0,35€",
    ]
)
TEXTS = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=40).map(" ".join))


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_fold_maps_every_character_back_into_the_text(text: str) -> None:
    folded = fold(text)
    assert len(folded.origin) == len(folded.text)
    assert all(0 <= i < len(text) for i in folded.origin)
    assert list(folded.origin) == sorted(folded.origin)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_hits_are_spans_of_the_text_and_deterministic(text: str) -> None:
    hits = match(text)
    for hit in hits:
        assert 0 <= hit.start < hit.end <= len(text)
    assert match(text) == hits
