"""Transparent rules for the unambiguous patterns of the incitement policy.

Each rule is a named regular expression over the folded text (see `normalize.fold`) of one
sentence, with a plain-language explanation. Patterns are written in ordinary spelling and
squeezed like the text; in a pattern a space stands for any run of spaces, punctuation or emoji,
`~N` for up to N words in between, and `<NAME>` for one of the shared vocabularies below.

A sentence is skipped when it warns the audience ("never click links in emails") or reports what
other people do ("these influencers get paid per click"): the policy does not forbid talking
about incitement, only doing it. Quoted passages are skipped for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fairclick.incitement.normalize import Folded, fold, squeeze_letters

CATEGORIES = ("pay_per_click", "plea", "exchange", "repeat", "reward", "no_read")

_VOCAB = {
    "CLICK": (
        r"(?:cli(?:c|k|qu)\w*|klick\w*|geklickt\w*|pinch\w*|tap(?:s|ped|ping)?\b|"
        r"(?:hit|smash) (?:that|the|my) link|dadle (?:al )?(?:link|enlace)|dale al (?:link|enlace))"
    ),
    "LINK": r"(?:liens?|links?|enlaces?)",
    "MONEY": (
        r"(?:pay\w*|paid|remunere\w*|pagan|paga|pagano|pagato|bezahlt|zahlt|commission\w*|"
        r"rapporte\w*|gagne\w*|earn\w*|make|gano|guadagn\w*|verdien\w*|bringt|touche|"
        r"centimes|cents?|centesimi|centimos|euros?|dinero|soldi|geld|thune|sous|money|cash|"
        r"\d+(?:[.,]\d+)? ?(?:€|\$|eur\b|cts?\b|c\b)|€ ?\d+|\$ ?\d+|€|\$)"
    ),
    "PER": r"(?:par|au|a|chaque|pour chaque|per|each|every|por|cada|pro|jede[nm]?|bei jedem|ogni|al)",
    "SUPPORT_ME": (
        r"(?:me soutenir|m aider|m aide\w*|support me|help me|helps me|apoyarme|ayudarme|"
        r"me ayud\w*|mich zu unterstutzen|mich unterstutzen|hilft mir|mir zu helfen|"
        r"supportarmi|aiutarmi|mi aiut\w*|sostenermi|means the world|help me out)"
    ),
    "PLEASE": r"(?:svp|s il vous plait|stp|please|pls|plz|porfa|por favor|bitte|vi prego|per favore)",
    "DEVICE": (
        r"(?:telephones?|phones?|portables?|mobiles?|movil|handys?|telefonos?|tablets?|tablete?s?|"
        r"ordi|laptops?|ordenador|pc|computers?|ordinateur|4g|5g|wifi)"
    ),
    "AGAIN": r"(?:again|encore|de nuevo|otra vez|nochmal|erneut|di nuovo|ancora)",
    "TIMES": (
        r"(?:plusieurs fois|plein de fois|encore et encore|a few times|several times|many times|"
        r"multiple times|a bunch of times|again and again|varias veces|un monton de veces|"
        r"mehrmals|ein paar mal|piu volte|tante volte|un sacco di volte|"
        r"\d+ ?(?:fois|times|x|veces|mal|volte)\b|autant que|as much as|as many times|"
        r"tous les jours|every day|chaque jour|toutes les heures|every hour|cada dia|jeden tag|"
        r"ogni giorno)"
    ),
    "REWARD": (
        r"(?:shout ?outs?|code promo|promo code|\d+ ?% code|close friends|paypal|bizum|"
        r"screenshots?|screens?|captures?|captura|participation|participacion|partecipazione|"
        r"entry|entries|entered|ein los|lostopf|estrazione|chances? de gagner|chances? to win|"
        r"mas opciones|gewinnchancen|possibilita di vincere|a gagner|to win|up for grabs|"
        r"a ganar|zu gewinnen|da vincere|mentionne|mention|menzione|mencion|tag you|"
        r"recompense|reward|premio|belohnung|prize|cadeau|tire au sort|tirage|sorteo|"
        r"giveaway|concours|contest|draw|raffle|gewinnspiel|verlosung|concorso|"
        r"tente[zs]? (?:de gagner|ta chance|votre chance)|gagnez (?:un|une|des)\b|try to win|"
        r"enter to win)"
    ),
    "READ": (
        r"(?:lire|lisez|lis|read\w*|leer|leais|lesen|lest|leggere|legg\w*|regarder|look|mirar|"
        r"ansehen|guardare|rester|stay|quedarse|bleiben|restare|scroller|scroll)"
    ),
}

# Words by which the author speaks as themself or addresses the audience directly.
_SPEAKER = re.compile(
    squeeze_letters(
        r"\b(?:je|j|jsuis|me|m|moi|mon|ma|mes|nos|notre|nous|i|im|me|my|mine|we|us|our|lets|"
        r"yo|mi|mis|nuestro|nosotros|ich|mir|mich|mein\w*|wir|unser\w*|io|noi|ci|mio|mia|miei|"
        r"qui|who|quien|wer|chi|rejoignez|join|unete|kommt|entrate|dm|"
        r"vos|votre|ton|tes|your|tu|tus|vuestros?|dein\w*|euer|eure|tuo|vostro|vostri)\b"
    )
)
# Warnings and reported speech: the sentence talks about incitement instead of doing it.
_GUARD = re.compile(
    squeeze_letters(
        r"(?:arnaque|scam|estafa|betrug|truffa|mefie\w*|mefiance|beware|be careful|"
        r"phishing|hacke\w*|pirate|never|jamais|nunca|niemals|non cliccate|ne cliquez pas|"
        r"don t click|do not click|no hagais clic|no clique\w*|klickt keine|nicht klicken|"
        r"ses abonnes|his followers|their followers|leurs abonnes|sus seguidores|ihre follower|"
        r"i loro follower|ces influenceu\w*|these influencers|those influencers|esos influencers|"
        r"diese influencer|questi influencer|certains comptes|some accounts|algunas cuentas|"
        r"manche accounts|alcuni account|un gars|a guy|le mec|the dude|les createurs qui|"
        r"creators who|los creadores que|creator, die|i creator che|fraude|fraud\w*|"
        r"klickbetrug|frode|les influenceu\w* qui|influencers who|los influencers que|"
        r"influencer, die|influencer che|se font payer|this study|cette etude|este estudio|"
        r"diese studie|questo studio|ces groupes|these groups|those groups|esos grupos|"
        r"diese gruppen|questi gruppi|journaliste?|periodista|giornalista)"
    )
)
_QUOTED = re.compile(r"\"[^\"\n]{3,160}\"")
_SENTENCE_END = re.compile(r"[.!;\n]+")


def compile_pattern(source: str) -> re.Pattern[str]:
    """Compile a rule pattern: expand `<NAME>`, `~N` and spaces, then squeeze letters."""
    for name, value in _VOCAB.items():
        source = source.replace(f"<{name}>", value)
    source = re.sub(r" ?~(\d+) ?", lambda m: rf"(?:[\W_]+\w+){{0,{m.group(1)}}}[\W_]+", source)
    source = source.replace(" ?", r"[\W_]*").replace(" ", r"[\W_]+")
    return re.compile(squeeze_letters(source))


@dataclass(frozen=True, slots=True)
class Rule:
    """One named pattern of the policy."""

    name: str
    category: str
    pattern: re.Pattern[str]
    needs_speaker: bool = False
    requires: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule that matched, with the span of the original text it matched."""

    rule: str
    category: str
    start: int
    end: int


def _rule(
    name: str, category: str, *sources: str, speaker: bool = False, requires: str | None = None
) -> Rule:
    pattern = compile_pattern("|".join(f"(?:{s})" for s in sources))
    return Rule(name, category, pattern, speaker, compile_pattern(requires) if requires else None)


RULES: tuple[Rule, ...] = (
    # pay per click: the author earns money from the clicks
    _rule(
        "paid_per_click",
        "pay_per_click",
        r"<MONEY> ~6 <PER> ~3 <CLICK>",
        r"<PER> <CLICK> ~2 (?:bezahlt|pagato|paye|paid|remunere\w*)",
        r"(?:sous|billet|argent|thune|\$+|money|cash|dinero|soldi|geld) (?:pour|for|para|fur|per) "
        r"(?:moi|me|mi|mich)\b",
        r"(?:zahlt mir|mi paga|me paga|pays me|me paie|me paye|me file) ~4 (?:pro|per|por|for|"
        r"par|a|chaque|every|each|ogni|cada) ~2 (?:besuch|visita|visit|visite|<CLICK>)",
        r"<LINK> ~3 (?:est|is|es|ist|e) ~2 (?:remunere|paid|pagado|bezahlt|pagato)",
        r"\b(?:chaque|every|each|cada|jede[nrm]?|ogni|\d+|un|one|uno|ein|una) <CLICK> ~6 <MONEY>",
        r"\bplus ~2 <CLICK> ~3 plus ~2 (?:je gagne|gagne)",
        r"\bmore <CLICK> ~2 more ~1 (?:money|\$+|cash)",
        speaker=True,
    ),
    _rule(
        "earns_when_you_click",
        "pay_per_click",
        r"(?:je gagne|je touche|je me fais|i make|i earn|i get paid|gano|ich verdiene|guadagno|"
        r"mi fa guadagnare|me rapporte|bringt mir) ~6 (?:quand|when|each time|every time|"
        r"chaque fois|cada vez|jedes mal|ogni volta|whenever|si|if|bei jedem|a chaque|chaque|"
        r"every|each|cada|ogni) ~3 <CLICK>",
        r"<CLICK> ~6 (?:me rapporte|pays me|earns me|puts money in my|bringt mir|"
        r"mi fa guadagnare|tombent sur mon compte|goes straight to my|land in my|paie mon|"
        r"paye mon|pays for my|pays my)",
        r"(?:vos|your|vuestros|eure|i vostri) <CLICK> ~4 (?:paient|payent|paie|pay|pagan|zahlen|"
        r"pagano|=|are|sont) ~2 (?:mon|mes|my|mi|mis|meine?|il mio|mio|l|cash|money|argent)",
        r"<CLICK> (?:are|sont|son|sind|sono) (?:cash|money|argent|dinero|geld|soldi)",
        r"(?:je suis|jsuis|i m|im|i am|ich werde|mi pagano|me pagan) ~2 (?:paye|payee|paid|"
        r"remunere\w*|bezahlt|pagato|pagata) ~3 <PER> ~1 <CLICK>",
    ),
    # plea: click as a favour, help or support
    _rule(
        "click_to_support_me",
        "plea",
        r"<CLICK> ~8 <SUPPORT_ME>",
        r"<SUPPORT_ME> ~3 (?:en cliquant|by clicking|clicking)",
        r"(?:soutenez|aidez|help|support|ayuda|ayudad|apoyad|unterstutzt|helft|aiutate|"
        r"supportate|sostenete) ~1 (?:moi|me|mi|mir|mich|la chaine|the channel|my channel|"
        r"ma chaine|un petit createur|une petite createur\w*|a small creator|a struggling artist|"
        r"una creadora pequena|eine kleine creatorin|una piccola creator|un createur) ~6 <CLICK>",
        r"<CLICK> ~3 (?:to support|pour soutenir|para apoyar|per supportare) ~1 (?:a|un|una|eine)? "
        r"(?:small|petit|struggling|pequen\w*|kleine|piccol\w*) (?:creator|artist|createur\w*|"
        r"creador\w*|creatorin|creator)",
    ),
    _rule(
        "needs_your_clicks",
        "plea",
        r"(?:j ai besoin|besoin|i need|need|necesito|ich brauche|brauche|ho bisogno) ~2 "
        r"(?:de vos|de tes|your|vuestros|eure|dei vostri|vos|tus) <CLICK>",
        r"(?:pas assez|trop peu|not enough|way behind on|behind on) ~1 (?:de )?<CLICK>",
        r"<CLICK> ~3 (?:pour moi|for me|por mi|fur mich|per me)\b",
        r"<CLICK> ~2 (?:pour|for) (?:votre|ton|your) (?:influenceu\w*|creat\w*|favorite|favourite)",
        r"<CLICK> ~2 (?:par solidarite|out of solidarity|por solidaridad|aus solidaritat|"
        r"per solidarieta)",
        r"(?:si vous m aimez|if you love me|si me quereis|wenn ihr mich|se mi volete) ~6 <CLICK>",
        r"(?:je compte sur vous|counting on you|cuento con vosotros|ich zahle auf euch|"
        r"conto su di voi) ~4 <CLICK>",
        r"(?:faites moi plaisir|fais moi plaisir|do me a favou?r|small favou?r|petit service|"
        r"hacedme el favor|tut mir den gefallen|fatemi il favore|me faire plaisir) ~8 <CLICK>",
        r"<PLEASE> <PLEASE> ~5 <CLICK>",
        r"(?:si chacun|if each of you|if everyone|si cada uno|wenn jeder|se ognuno) ~4 <CLICK>",
        r"<CLICK> ~6 (?:meme si|even if|aunque|auch wenn|anche se) ~4 (?:interes\w*|care|"
        r"interess\w*|int)",
    ),
    _rule(
        "click_for_my_goal",
        "plea",
        r"<CLICK> ~8 (?:coup de pouce|boost|remonter|move up|climb|dropped from|virer de|"
        r"mon objectif|my goal|mi objetivo|mein ziel|il mio obiettivo|au classement|"
        r"the leaderboard|en el ranking|im ranking|in classifica)",
        speaker=True,
    ),
    # exchange: clicks traded between accounts
    _rule(
        "click_for_click",
        "exchange",
        r"\b(?:clic|click|klick) (?:contre|for|4|pour|por|per|gegen|x) (?:clic|click|klick)\b",
        r"\bc(?:4|a)c\b(?! ?40)",
    ),
    _rule(
        "click_swap",
        "exchange",
        r"(?:echange\w*|swap\w*|trade|exchange|intercambi\w*|tausch\w*|scambi\w*|s envoie) ~3 "
        r"(?:<CLICK>|<LINK>)",
        r"<CLICK> ~1 (?:tauschen|swappen|exchange|echange)",
        r"(?:je clique|jclique|i ll click|i click|clico|ich klick\w*|clicco) ~4 (?:vos|tes|ton|"
        r"your|yours|vuestros|tuyo|eure|deinen|i vostri|il tuo|tous ceux|every one|everyone s)",
        r"(?:<CLICK>|envoie|send|manda|schick\w*|mando) ~3 (?:le mien|mine|el mio|meinen|il mio)\b",
        r"<CLICK> ~3 (?:les liens des autres|everyone s links|each other s links|"
        r"los links de todos|die links von allen|i link di tutti|tous les liens)",
        r"(?:je rends|i return|i always return|return the click|rends chaque) ~2 "
        r"(?:<CLICK>|toujours|always|it)",
        r"(?:commentez|laissez|drop|post|mettez|dejad|deja|postet|lasciate) ~2 (?:vos|votre|ton|"
        r"your|vuestro|tu|euren|il vostro|vostro) <LINK> ~8 <CLICK>",
        speaker=True,
    ),
    _rule(
        "click_group",
        "exchange",
        r"(?:groupe?s?|grupo|gruppe|gruppo|pod|cercle|circle|boucle|loop|pacte|pact|chaine|"
        r"chain|cadena|kette|catena) ~4 <CLICK>",
        r"<CLICK>(?:ers)? ~3 (?:groupe?|group|grupo|gruppe|gruppo|pod|circle|chain|kette|pact)",
        r"<CLICK> ~3 (?:mutuel|mutual|solidaires?|entre nous|each other|los links de todos|"
        r"die links von allen|i link di tutti|les uns pour les autres)",
    ),
    # repeat: several clicks per person
    _rule(
        "click_many_times",
        "repeat",
        r"<CLICK> ~4 <TIMES>",
        r"\brecli\w*",
        r"<CLICK> ~2 <AGAIN>",
        r"(?:keep|continuez a|sigue|weiter) ~1 <CLICK>",
        r"(?:volved a|volver a|torna a) <CLICK>",
        r"(?:spam\w*) ~2 (?:le |the |el |den |il )?<LINK>",
    ),
    _rule(
        "open_and_close",
        "repeat",
        r"(?:ouvr\w*|open\w*|abr\w*|offn\w*|apr\w*|<CLICK>) ~4 (?:ferm\w*|clos\w*|cerr\w*|"
        r"schlie\w*|zumach\w*|chiud\w*) ~4 (?:rouvr\w*|reouvr\w*|re ?open\w*|ouvr\w*|open\w*|"
        r"abr\w*|offn\w*|riapr\w*|recli\w*|<CLICK>|again|repet\w*|repeat)",
        r"(?:ca compte|ca conte|it counts|cuenta|zahlt|conta|comptabilise|suma|counts as|"
        r"compte comme|cuenta como|zahlt als|conta come) ~3 (?:a chaque fois|every time|"
        r"each time|cada vez|jedes mal|ogni volta|<AGAIN>|new|nouveau|nouvelle|nueva|neuer|nuovo)",
    ),
    _rule(
        "several_devices",
        "repeat",
        r"<DEVICE> ~4 (?:et|and|y|und|e|puis|then|luego|dann|poi) ~3 <DEVICE>",
        r"(?:chaque|every|each|cada|jedes|ogni) (?:apareil|device|dispositivo|gerat)",
        r"(?:plus|more|mas|mehr|piu) ~3 (?:apareils|devices|dispositivos|gerate|dispositivi)",
        r"(?:tous les|all|todos los|alle|tutti i) ~1 (?:telephones|phones|apareils|devices|"
        r"moviles|handys|telefoni)",
        r"(?:navigation privee|incognito|private browsing|inkognito|modo incognito)",
        r"(?:changez de navigateur|switch browsers|cambiad de navegador|browser wechseln|"
        r"cambiate browser)",
        r"(?:videz|clear|borrad|loschen|cancellate) ~2 (?:cookies|cookie)|cookies? ~1 "
        r"(?:loschen|leeren)",
        r"(?:ca fait|that s|that is|son|sind|sono) (?:deux|two|dos|zwei|due|2) <CLICK>",
        r"(?:rafraichi\w*|refresh\w*|recarg\w*|ricaric\w*|neu laden|ladet) ~6 (?:fois|times|"
        r"veces|mal|volte|chaque|every|each|cada|jeder|ogni|compte|counts?|cuenta|zahlt|conta|"
        r"bunch|monton|sacco|plein|neu)",
        requires=r"<CLICK>|<LINK>|compte|count|cuenta|zahlt|conta|refresh|rafraich|recarg|"
        r"ricaric|reload|neu|apri\w*|open\w*|ouvr\w*|abr\w*|offn\w*",
    ),
    # reward: something in return for a click
    _rule(
        "reward_for_click",
        "reward",
        r"<CLICK> ~10 <REWARD>",
        r"<REWARD> ~10 <CLICK>",
    ),
    _rule(
        "follow_back",
        "reward",
        r"(?:follow ?back|folow back|je follow|abonnement retour|suis en retour|follow you back|"
        r"sigo de vuelta|folge ~1 zuruck|ricambio il follow|f4f)",
        r"(?:je reponds|i reply|respondo|ich antworte|rispondo) ~4 (?:a tous ceux|to everyone|"
        r"a todos|allen|a tutti)",
        requires=r"<CLICK>",
    ),
    # no need to read: the click without the visit
    _rule(
        "no_need_to_read",
        "no_read",
        r"(?:pas besoin de|pas la peine de|pas oblige\w* de|no need to|don t need to|dont need to|"
        r"don t have to|dont have to|no hace falta|no teneis que|ihr musst nichts|ihr musst nicht|"
        r"non serve|non dovete|meme pas besoin de|not even|even need to) ~4 <READ>",
        r"(?:sans|without|sin|ohne|senza) <READ>",
        r"(?:meme si|even if|aunque|auch wenn|anche se) ~3 (?:lisez|lis|read|leais|lest|leggete)",
        r"(?:le contenu on s en fiche|on s en fiche du contenu|nobody cares about the content|"
        r"el contenido da igual|der inhalt ist egal|il contenuto non importa|"
        r"c est le clic qui compte|the click is what matters|the click is enough|le clic suffit|"
        r"lo que cuenta es el clic|der klick zahlt|conta il clic|rien a faire sur le site|"
        r"nothing to do on the site|la page vous interesse pas|won t care about the page)",
        r"<CLICK> ~4 (?:fermez|ferme|close|cerrad|cierra|zumachen|chiudete|quittez|leave|"
        r"bounce|repartez|revenez|come straight back) ~3 (?:direct\w*|right away|tout de suite|"
        r"de suite|immediately|sofort|gleich|subito|apres|after|straight)",
        r"<CLICK> ~4 (?:gleich|sofort) ~2 (?:zumachen|schlie\w*)",
        r"<CLICK> (?:and|et) bounce",
        requires=r"<CLICK>|<LINK>|juste|just|solo|einfach|basta|open|ouvr|abr|offn|apr|"
        r"contenu|content|contenido|inhalt|contenuto",
    ),
)

DISCLOSURE = compile_pattern(
    r"(?:^|[^\w#])(?:#?publicite|#pub|#?collaboration ?commerciale|#?partenariat ?remunere|"
    r"#?sponsorise\w*|#?contenu sponsorise|#ad|^ad\b|\bad [|.:]|#?advertisement|"
    r"#?paid ?partnership|#?sponsored|includes paid promotion|#?werbung|#?anzeige|"
    r"#?bezahlte partnerschaft|#?publicidad|#publi|#?patrocinado|#?colaboracion pagada|"
    r"#?pubblicita|#adv|#?sponsorizzato|#?collaborazione retribuita|#?contenuto sponsorizzato)\b"
)


def _blank_quotes(text: str) -> str:
    """Replace quoted passages by spaces (same length), so reported words are not matched."""
    text = text.replace("\u00ab", '"').replace("\u00bb", '"')
    return _QUOTED.sub(lambda m: " " * len(m.group()), text)


def sentences(folded: str) -> list[tuple[int, int]]:
    """Spans of the sentences of a folded text."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(folded):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(folded):
        spans.append((start, len(folded)))
    return spans


def match(text: str | Folded) -> list[Hit]:
    """Every rule hit in `text`, in order of position, at most one per rule and sentence."""
    folded = text if isinstance(text, Folded) else fold(text)
    view = _blank_quotes(folded.text)
    hits: list[Hit] = []
    for start, end in sentences(view):
        sentence = view[start:end]
        if _GUARD.search(sentence):
            continue
        speaks = _SPEAKER.search(sentence) is not None
        for rule in RULES:
            if rule.needs_speaker and not speaks:
                continue
            if rule.requires is not None and not rule.requires.search(sentence):
                continue
            found = rule.pattern.search(sentence)
            if found:
                a, b = folded.span(start + found.start(), start + found.end())
                hits.append(Hit(rule.name, rule.category, a, b))
    hits.sort(key=lambda h: (h.start, h.rule))
    return hits


def has_disclosure(text: str | Folded) -> bool:
    """Whether the post carries a legal advertising disclosure (#ad, Publicité, Werbung…)."""
    folded = text if isinstance(text, Folded) else fold(text)
    return DISCLOSURE.search(folded.text) is not None


def is_guarded(text: str | Folded) -> bool:
    """Whether some sentence warns about clicking or reports what others do."""
    folded = text if isinstance(text, Folded) else fold(text)
    return _GUARD.search(folded.text) is not None
