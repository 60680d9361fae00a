"""The transparent rules: what they catch, in every language, and what they must leave alone."""

from __future__ import annotations

import pytest

from fairclick.incitement.normalize import fold, squeeze_letters
from fairclick.incitement.rules import has_disclosure, match

POSITIVES = [
    # (language, text, expected category) — none of these sentences is in the corpus
    ("fr", "je suis payée 40 centimes par clic alors foncez", "pay_per_click"),
    ("fr", "CLIIIIQUEZ pour me soutenir les amis 🙏", "plea"),
    ("fr", "clic contre clic, qui est partant ?", "exchange"),
    ("fr", "ouvrez le lien, fermez, rouvrez, ça marche à tous les coups", "repeat"),
    ("fr", "cl1quez 3 fois sur le lien svp", "repeat"),
    ("fr", "Concours 🎁 : cliquez sur le lien pour être tiré au sort", "reward"),
    ("fr", "Cliquez sur le lien et tentez votre chance pour une PS5 🎮", "reward"),
    ("fr", "Cliquez et gagnez des places pour le concert", "reward"),
    ("fr", "pas besoin de lire hein, juste cliquez", "no_read"),
    ("en", "I get paid 30 cents per click on this one lol", "pay_per_click"),
    ("en", "need your clicks fam, click for me pls", "plea"),
    ("en", "c4c? drop your link and I'll click it", "exchange"),
    ("en", "click from your phone and your laptop pls", "repeat"),
    ("en", "follow back guaranteed for everyone who clicks 💯", "reward"),
    ("en", "no need to read it, just click", "no_read"),
    ("es", "me pagan por cada clic, dadle al link", "pay_per_click"),
    ("es", "clic por clic, yo siempre devuelvo", "exchange"),
    ("es", "sorteo 🎁 entre los que hagan clic en el enlace", "reward"),
    ("de", "Ich werde pro Klick bezahlt, also los", "pay_per_click"),
    ("de", "Klick gegen Klick, wer macht mit?", "exchange"),
    ("de", "klickt mehrmals auf den Link, bitte", "repeat"),
    ("it", "clic per clic, ricambio sempre", "exchange"),
    ("it", "cliccate più volte sul link", "repeat"),
    ("it", "non serve leggere, basta cliccare", "no_read"),
]

NEGATIVES = [
    ("fr", "Lire la suite ici 👉 https://fclk.io/abc"),
    ("fr", "Cliquez pour voir les horaires des bureaux de vote"),
    ("fr", "Publicité – Collaboration commerciale avec @marque. Mon avis complet en lien"),
    ("fr", "Ces influenceurs payés au clic qui supplient leurs abonnés, quelle honte"),
    ("fr", "Ne cliquez jamais sur les liens reçus par SMS"),
    ("fr", "Gagnez du temps : cliquez pour voir les horaires de votre bureau de vote"),
    ("en", "Read the full story here"),
    ("en", "Click to see polling hours"),
    ("en", "#ad Paid partnership with @brand, my honest review at the link"),
    ("en", "Never click links in emails"),
    ("en", 'He wrote "click for click" under every post, these influencers are something'),
    ("es", "Publicidad · colaboración con @marca, toda la info en el enlace"),
    ("de", "Werbung | Anzeige: alle Infos im Link"),
    ("de", "Klickt niemals auf Links in E-Mails"),
    ("it", "#adv pubblicità: tutte le info nel link"),
    ("it", "Leggi l'articolo completo qui"),
]


@pytest.mark.parametrize(("lang", "text", "category"), POSITIVES)
def test_rule_catches(lang: str, text: str, category: str) -> None:
    categories = {hit.category for hit in match(text)}
    assert category in categories, (lang, text, categories)


@pytest.mark.parametrize(("lang", "text"), NEGATIVES)
def test_rule_leaves_alone(lang: str, text: str) -> None:
    assert match(text) == [], (lang, text)


def test_hit_spans_point_into_the_original_text() -> None:
    text = "Hé 👋 CLIIIIQUEZ sur mon lien pour me soutenir, merci 🙏"
    hits = match(text)
    assert hits
    for hit in hits:
        assert 0 <= hit.start < hit.end <= len(text)
        assert "CLIIIIQUEZ" in text[hit.start : hit.end]


@pytest.mark.parametrize(
    "text",
    [
        "Publicité",
        "#pub",
        "Collaboration commerciale",
        "#sponsorisé",
        "#ad",
        "paid partnership",
        "Werbung",
        "Anzeige",
        "publicidad",
        "#adv",
        "pubblicità",
    ],
)
def test_disclosures_are_recognised(text: str) -> None:
    assert has_disclosure(f"{text} nouvelle vidéo en ligne")


def test_fold_undoes_case_accents_elongation_and_leetspeak() -> None:
    assert fold("CLIIIQUEZ Évidemment").text == "cliquez evidement"
    assert fold("cl1quez r34d").text == "cliquez read"
    assert fold("0,35€ 4G 10k").text == "0,35€ 4g 10k"


def test_squeeze_keeps_escapes() -> None:
    assert squeeze_letters(r"\bbonne\w+") == r"\bbone\w+"
