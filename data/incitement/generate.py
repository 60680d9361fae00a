"""Build `corpus.jsonl` from the hand-written fragments in `fragments/<lang>.txt`.

Each hand-written core sentence (the part that carries the label) becomes one or a few posts,
dressed the way influencers write: an opener, a line about the campaign, a link, hashtags,
mentions, and the usual noise (lower case, dropped accents, typos, elongations, abbreviations).
Some inciting posts also carry a legal disclosure, so a model cannot learn "disclosure = ok".

The split keeps every post of one core sentence on the same side and takes about a quarter of
the cores of each language × category for the test split, so the test measures sentences the
model never saw, not the same sentence with other hashtags.

Run: `python data/incitement/generate.py` (deterministic: fixed seed, same output every time).
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGS = ("fr", "en", "es", "de", "it")
POSITIVE = ("pay_per_click", "plea", "exchange", "repeat", "reward", "no_read")
NEGATIVE = ("disclosure", "content_cta", "third_person", "warning", "plain")
DECORATION = ("opener", "topic", "link", "tags")
SEED = 20170109
TEST_SHARE = 0.25

# Posts per core sentence: FR/EN have more posts per core than the other languages, and
# negatives more than positives, to land near 40 % positives with FR/EN the majority.
MULTIPLICITY = {
    ("major", "pos"): 1.7,
    ("major", "neg"): 2.4,
    ("minor", "pos"): 1.2,
    ("minor", "neg"): 1.6,
}

ABBREVIATIONS = {
    "fr": {
        "s'il vous plaît": "svp",
        "beaucoup": "bcp",
        "pour": "pr",
        "vous": "vs",
        "toujours": "tjrs",
        "quelque": "qq",
        "je suis": "jsuis",
        "c'est": "c",
    },
    "en": {"you": "u", "please": "pls", "your": "ur", "because": "bc", "really": "rly", "are": "r"},
    "es": {"por favor": "porfa", "que": "q", "también": "tb", "porque": "xq"},
    "de": {"bitte": "bitte bitte", "nicht": "nich", "ich habe": "hab", "einfach": "eifach"},
    "it": {"per favore": "pls", "che": "ke", "non": "nn", "perché": "xké"},
}
MENTIONS = ("@lea.voyage", "@tomfit", "@maxou_off", "@sara.makeup", "@le_collectif", "@nina_b")
EXTRA_EMOJI = ("🙏", "🔥", "❤️", "😍", "🫶", "✨", "💯", "😂", "👀", "🚀")
DISCLOSURE_PREFIX = {
    "fr": ("Publicité – ", "#pub ", "Collaboration commerciale. "),
    "en": ("#ad ", "Paid partnership. ", "Sponsored: "),
    "es": ("Publicidad · ", "#publi "),
    "de": ("Werbung | ", "Anzeige: "),
    "it": ("Pubblicità · ", "#adv "),
}


def read_fragments(lang: str) -> dict[str, list[str]]:
    """Sections of one language's fragment file, in file order."""
    sections: dict[str, list[str]] = {}
    current = None
    for raw in (HERE / "fragments" / f"{lang}.txt").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or (line.startswith("#") and current is None):
            continue
        match = re.fullmatch(r"\[(\w+)\]", line)
        if match:
            current = match.group(1)
            sections.setdefault(current, [])
        elif current is not None and not line.startswith("# "):
            sections[current].append(line)
    return sections


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    kind = rng.random()
    if kind < 0.5:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif kind < 0.8:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def elongate(text: str, rng: random.Random) -> str:
    words = list(re.finditer(r"[^\W\d_]{4,}", text))
    if not words:
        return text
    m = rng.choice(words)
    vowels = [k for k, c in enumerate(m.group()) if c.lower() in "aeiouy"]
    if not vowels:
        return text
    k = m.start() + rng.choice(vowels)
    return text[: k + 1] + text[k] * rng.randint(2, 4) + text[k + 1 :]


def abbreviate(text: str, lang: str, rng: random.Random) -> str:
    for full, short in ABBREVIATIONS[lang].items():
        if rng.random() < 0.6:
            text = re.sub(rf"\b{re.escape(full)}\b", short, text, flags=re.IGNORECASE)
    return text


def leet(text: str, rng: random.Random) -> str:
    table = str.maketrans({"e": "3", "a": "4", "i": "1", "o": "0"})
    words = text.split(" ")
    i = rng.randrange(len(words))
    words[i] = words[i].translate(table)
    return " ".join(words)


def noisy(core: str, lang: str, rng: random.Random) -> str:
    """The core sentence as someone typing fast on a phone would write it."""
    text = core
    if rng.random() < 0.35:
        text = abbreviate(text, lang, rng)
    if rng.random() < 0.25:
        text = typo(text, rng)
    if rng.random() < 0.2:
        text = elongate(text, rng)
    if rng.random() < 0.3:
        text = text.lower()
    elif rng.random() < 0.05:
        text = text.upper()
    if lang != "en" and rng.random() < 0.25:
        text = strip_accents(text)
    if rng.random() < 0.04:
        text = leet(text, rng)
    return text


def dress(core: str, lang: str, sections: dict[str, list[str]], rng: random.Random) -> str:
    parts: list[str] = []
    if rng.random() < 0.35:
        parts.append(rng.choice(sections["opener"]))
    topic = rng.choice(sections["topic"]) if rng.random() < 0.3 else None
    body = noisy(core, lang, rng)
    if rng.random() < 0.3:
        body += " " + "".join(rng.choice(EXTRA_EMOJI) for _ in range(rng.randint(1, 3)))
    if topic and rng.random() < 0.5:
        parts += [topic, body]
    elif topic:
        parts += [body, topic]
    else:
        parts.append(body)
    if rng.random() < 0.5:
        parts.append(rng.choice(sections["link"]))
    if rng.random() < 0.15:
        parts.append(rng.choice(MENTIONS))
    if rng.random() < 0.45:
        parts.append(rng.choice(sections["tags"]))
    sep = rng.choice((" ", "\n", " ", "\n\n"))
    return sep.join(parts)


def build() -> list[dict[str, str]]:
    """Every post of the corpus, deterministic for a given set of fragment files."""
    rng = random.Random(SEED)
    posts: list[dict[str, str]] = []
    for lang in LANGS:
        sections = read_fragments(lang)
        size = "major" if lang in ("fr", "en") else "minor"
        seen: set[str] = set()
        counter = 0
        for category in POSITIVE + NEGATIVE:
            polarity = "pos" if category in POSITIVE else "neg"
            cores = sections[category]
            order = list(range(len(cores)))
            rng.shuffle(order)
            n_test = max(1, round(len(cores) * TEST_SHARE))
            test_cores = set(order[:n_test])
            for index, core in enumerate(cores):
                mult = MULTIPLICITY[(size, polarity)]
                count = int(mult) + (1 if rng.random() < mult - int(mult) else 0)
                for _ in range(count):
                    for _attempt in range(5):
                        text = dress(core, lang, sections, rng)
                        if polarity == "pos" and rng.random() < 0.12:
                            text = rng.choice(DISCLOSURE_PREFIX[lang]) + text
                        if text not in seen:
                            break
                    if text in seen:
                        continue
                    seen.add(text)
                    counter += 1
                    posts.append(
                        {
                            "id": f"{lang}-{counter:04d}",
                            "lang": lang,
                            "text": text,
                            "label": "incitement" if polarity == "pos" else "ok",
                            "category": category,
                            "core": f"{lang}-{category}-{index:02d}",
                            "split": "test" if index in test_cores else "train",
                        }
                    )
    return posts


def main() -> None:
    posts = build()
    with (HERE / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for post in posts:
            out.write(json.dumps(post, ensure_ascii=False) + "\n")
    by_lang: dict[str, list[int]] = {}
    for p in posts:
        row = by_lang.setdefault(p["lang"], [0, 0, 0])
        row[0] += 1
        row[1] += p["label"] == "incitement"
        row[2] += p["split"] == "test"
    for lang, (n, pos, test) in by_lang.items():
        print(f"{lang}: {n} posts, {pos / n:.0%} incitement, {test / n:.0%} test")
    print(f"total: {len(posts)}")


if __name__ == "__main__":
    main()
