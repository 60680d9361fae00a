"""The hybrid classifier through its public API."""

from __future__ import annotations

import dataclasses

import pytest

from fairclick.incitement import Assessment, Label, classify, explain, get_classifier

PARAPHRASES = [
    # Inciting posts worded unlike anything in the corpus or the rules' word lists.
    "Allez les gens, un petit clic sur mon lien ça me fait gagner des sous 🙏",
    "Psst: the more you tap my link the more I earn, so go nuts",
    "Mes abonnés chéris, si vous passez sur le lien chaque jour ça m'aide grave pour la campagne",
    "yo drop me a tap on the link, every visit = $$ in my pocket fr",
]
LEGITIMATE = [
    "Publicité — Collaboration commerciale avec @maisonlumen. J'ai testé leur crème pendant un "
    "mois, mon avis complet est sur le lien 👇 #pub",
    "Tous les bureaux de vote ici 👉 https://fclk.io/bviabRurGt #primaire",
    "Read the full story here, the reporter did a great job",
    "Never click links in emails that ask for your password!",
    "These influencers who get paid per click are ruining the game tbh",
]


@pytest.mark.parametrize("text", PARAPHRASES)
def test_paraphrases_are_not_ok(text: str) -> None:
    result = classify(text)
    assert result.label is not Label.OK, (text, result.score)


@pytest.mark.parametrize("text", LEGITIMATE)
def test_legitimate_posts_are_ok(text: str) -> None:
    result = classify(text)
    assert result.label is Label.OK, (text, result.score, result.evidence)


def test_sponsored_post_with_publicite_is_ok() -> None:
    result = classify(
        "Publicité | Collaboration commerciale avec @velocity_shoes : les nouvelles running "
        "sont dispo, toutes les tailles sur le lien 👟",
        "instagram",
    )
    assert result.label is Label.OK
    assert result.evidence == ()
    assert result.language == "fr"


def test_assessment_contract() -> None:
    text = "Cliquez sur mon lien, je suis payé au clic 💸 #pub"
    result = classify(text, "x")
    assert isinstance(result, Assessment)
    assert result.label is Label.INCITEMENT
    assert 0.0 <= result.score <= 1.0
    assert result.language == "fr"
    assert result.model_version == get_classifier().version
    assert result.evidence
    for item in result.evidence:
        assert text[item.start : item.end] == item.text
        assert item.source.startswith("rule:") or item.source == "model"
        assert item.explanation
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 0.0  # type: ignore[misc]


def test_model_evidence_when_no_rule_fires() -> None:
    text = (
        "Bonne soirée !\nAllez les gens, un petit clic sur mon lien ça me fait gagner des sous 🙏"
    )
    result = classify(text)
    assert result.label is not Label.OK
    sources = {e.source for e in result.evidence}
    assert sources
    for item in result.evidence:
        assert text[item.start : item.end] == item.text


def test_deterministic() -> None:
    text = "Clic contre clic ! Tu cliques sur mon lien, je clique sur le tien 🔁"
    first = classify(text)
    assert all(classify(text) == first for _ in range(3))
    assert get_classifier().scores([text, "hello"])[0] == pytest.approx(first.score, abs=1e-4)


@pytest.mark.parametrize("empty", ["", "   \n\t ", None])
def test_empty_is_ok_without_evidence(empty: str | None) -> None:
    result = classify(empty)  # type: ignore[arg-type]
    assert result.label is Label.OK
    assert result.evidence == ()
    assert result.score == 0.0
    assert result.language == "und"


def test_huge_input_is_read_up_to_the_limit() -> None:
    from fairclick.incitement.model import MAX_CHARS

    text = "Cliquez sur mon lien pour me soutenir ! " + "bla " * 20_000
    result = classify(text)
    assert result.label is Label.INCITEMENT
    assert all(e.end <= MAX_CHARS for e in result.evidence)
    far = "bla " * 5_000 + " cliquez pour me soutenir"
    assert classify(far).evidence == ()


def test_bytes_are_decoded_and_other_types_refused() -> None:
    assert classify(b"Click for click, drop your link").label is Label.INCITEMENT
    with pytest.raises(TypeError, match="str"):
        classify(42)  # type: ignore[arg-type]


def test_explain_speaks_plainly() -> None:
    result = classify("No need to read anything, just click the link 👍")
    text = explain(result)
    assert "for your sake" in text
    assert "No need to read" in text
    assert "not counted" in text
    ok = explain(classify("Full recipe at the link in bio 🍰"))
    assert "counted normally" in ok


def test_french_posts_are_explained_in_french() -> None:
    result = classify("Cliquez plusieurs fois sur mon lien svp, ça compte à chaque fois 😉")
    assert result.language == "fr"
    assert result.label is Label.INCITEMENT
    assert all("Vous demandez de cliquer plusieurs fois" in e.explanation for e in result.evidence)
    assert "Ce post demande de cliquer pour vous" in explain(result)


def test_every_category_has_wording() -> None:
    from fairclick.incitement.rules import CATEGORIES
    from fairclick.incitement.wording import rule_explanation

    for category in CATEGORIES:
        assert rule_explanation(category, "fr") != rule_explanation(category, "en")
