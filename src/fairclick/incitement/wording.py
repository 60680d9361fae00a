"""Everything the classifier says to an influencer, in English and in French.

French is the platform's first language (the policy and the law it follows are French);
other languages get the English wording.
"""

from __future__ import annotations

from fairclick.incitement.assessment import Label

_EN = {
    "pay_per_click": (
        "You tell your audience that you earn money for each click. A click asked for so that "
        "you get paid is a click for your sake, not for the content, so it cannot be counted."
    ),
    "plea": (
        "You ask people to click to help or support you. Clicks must come from people who want "
        "to see the content, not from people doing you a favour."
    ),
    "exchange": (
        "You propose a click exchange (you click mine, I click yours, or a group that clicks "
        "each other's links). Traded clicks are not real interest in the content."
    ),
    "repeat": (
        "You ask people to click several times, from several devices, to refresh, or to open "
        "and close the link. Only one real visit per person counts; repeats are not."
    ),
    "reward": (
        "You offer something (a prize, a contest entry, a shout-out, a follow-back) in return "
        "for a click. People then click for the reward, not for the content."
    ),
    "no_read": (
        "You tell people they do not need to read or look at the page, only to click. A click "
        "that is not meant to look at the content is not a real visit."
    ),
}

_FR = {
    "pay_per_click": (
        "Vous dites à votre audience que chaque clic vous rapporte de l'argent. Un clic demandé "
        "pour que vous soyez payé est un clic pour vous, pas pour le contenu : il ne compte pas."
    ),
    "plea": (
        "Vous demandez de cliquer pour vous aider ou vous soutenir. Les clics doivent venir de "
        "personnes qui veulent voir le contenu, pas de personnes qui vous rendent service."
    ),
    "exchange": (
        "Vous proposez un échange de clics (tu cliques sur mon lien, je clique sur le tien, ou "
        "un groupe qui clique sur les liens de chacun). Un clic échangé n'est pas un vrai "
        "intérêt pour le contenu."
    ),
    "repeat": (
        "Vous demandez de cliquer plusieurs fois, depuis plusieurs appareils, de rafraîchir ou "
        "d'ouvrir et fermer le lien. Seule une vraie visite par personne compte."
    ),
    "reward": (
        "Vous offrez quelque chose (un lot, une participation à un concours, une mention, un "
        "abonnement en retour) contre un clic. On clique alors pour la récompense, pas pour le "
        "contenu."
    ),
    "no_read": (
        "Vous dites qu'il n'est pas nécessaire de lire ou de regarder la page, seulement de "
        "cliquer. Un clic qui ne cherche pas le contenu n'est pas une vraie visite."
    ),
}

_MODEL = {
    "en": (
        "This sentence reads like a request to click for your sake rather than for the content "
        "(the trained model's judgement, about {p:.0%} sure)."
    ),
    "fr": (
        "Cette phrase ressemble à une demande de clic pour vous plutôt que pour le contenu "
        "(jugement du modèle entraîné, sûr à environ {p:.0%})."
    ),
}

_VERDICT = {
    "en": {
        Label.INCITEMENT: (
            "This post asks people to click for your sake rather than for the content. Under "
            "the platform's rule, clicks obtained this way are not counted and not paid."
        ),
        Label.REVIEW: (
            "This post may be asking people to click for your sake rather than for the "
            "content. A moderator will read it; until then its clicks are held, not paid."
        ),
        Label.OK: (
            "This post points people to the content. Nothing in it asks for clicks for your "
            "sake, so its clicks are counted normally."
        ),
    },
    "fr": {
        Label.INCITEMENT: (
            "Ce post demande de cliquer pour vous plutôt que pour le contenu. Selon la règle de "
            "la plateforme, les clics obtenus ainsi ne sont ni comptés ni payés."
        ),
        Label.REVIEW: (
            "Ce post demande peut-être de cliquer pour vous plutôt que pour le contenu. Un "
            "modérateur va le lire ; d'ici là, ses clics sont mis en attente, pas payés."
        ),
        Label.OK: (
            "Ce post renvoie au contenu. Rien n'y demande de cliquer pour vous : ses clics sont "
            "comptés normalement."
        ),
    },
}

_DETAILS = {
    "en": "(Likelihood of incitement: {score:.0%}; language: {language}; model {version}.)",
    "fr": "(Probabilité d'incitation : {score:.0%} ; langue : {language} ; modèle {version}.)",
}

_REMINDER = {
    "en": (
        "Pointing to the content is always fine (“read the full story here”), and so are the "
        "advertising disclosures the law requires (“Publicité”, #ad)."
    ),
    "fr": (
        "Renvoyer vers le contenu est toujours permis (« lire la suite ici »), tout comme les "
        "mentions publicitaires exigées par la loi (« Publicité », « Collaboration "
        "commerciale »)."
    ),
}


def _lang(language: str) -> str:
    return "fr" if language == "fr" else "en"


def rule_explanation(category: str, language: str) -> str:
    """Why a rule's category is incitement, in the post's language when we have it."""
    return (_FR if _lang(language) == "fr" else _EN)[category]


def model_explanation(probability: float, language: str) -> str:
    """Why the model's sentence is evidence, with its confidence."""
    return _MODEL[_lang(language)].format(p=probability)


def verdict(label: Label, language: str) -> str:
    """The one-sentence meaning of a label for the influencer."""
    return _VERDICT[_lang(language)][label]


def details(score: float, language: str, version: str) -> str:
    """Score, language and model version, in a line."""
    return _DETAILS[_lang(language)].format(score=score, language=language, version=version)


def reminder(language: str) -> str:
    """What is always allowed, said after a non-ok verdict."""
    return _REMINDER[_lang(language)]
