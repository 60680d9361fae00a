"""The loader's fast paths give the same results as the slow ones: posts judged in one batch
get the judgements they get one by one, and libyaml reads the document the pure-Python parser
reads."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from fairclick.incitement import classify, get_classifier
from fairclick.links.models import Post
from fairclick.moderation.models import PostAssessment
from fairclick.world.loader import WorldError, parse_world
from tests.conftest import TestDb
from tests.factories import EXAMPLE_WORLD, example_world, load_world

TEXTS: list[Any] = [
    "Primaire ce dimanche : trouvez votre bureau de vote ici 👉 #Publicité",
    "Cliquez 3 fois sur mon lien svp, chaque clic me rapporte 50 centimes 🙏",
    "click my link again and again, every click pays me, share it with everyone!!",
    "Nouvelle vidéo en ligne. Abonnez-vous ! Le lien est en bio.",
    "",
    "   \n ",
    None,
    b"Ouvre le lien plusieurs fois. Merci. Vraiment, ouvre-le encore et encore.",
    "x" * 12_000,
]


def test_batch_judgements_equal_one_by_one() -> None:
    assert get_classifier().classify_many(TEXTS) == [classify(t) for t in TEXTS]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(TEXTS),
            st.text(min_size=0, max_size=200),
            st.lists(
                st.sampled_from(["clic", "lien", "svp", "vote", "🙏", "!", "\n"]), max_size=30
            ).map(" ".join),
        ),
        max_size=5,
    )
)
def test_batch_judgements_equal_one_by_one_for_any_texts(texts: list[Any]) -> None:
    assert get_classifier().classify_many(texts) == [classify(t) for t in texts]


def test_loaded_posts_carry_the_one_by_one_judgement(sqlite_db: TestDb) -> None:
    world = example_world()
    for n, text in enumerate(t for t in TEXTS if isinstance(t, str)):
        world["links"].append(
            {
                "campaign": "primaire-ou-voter",
                "influencer": "camille.voyage",
                "network": "instagram",
                "post": {"url": f"https://instagram.com/p/{n}", "text": text},
            }
        )
    load_world(sqlite_db.db, world)
    with sqlite_db.db.session() as session:
        posts = session.scalars(select(Post).order_by(Post.id)).all()
        assert len(posts) == 1 + sum(isinstance(t, str) for t in TEXTS)
        for post in posts:
            expected = classify(post.text or "")
            stored = session.scalars(
                select(PostAssessment).where(PostAssessment.post_id == post.id)
            ).one()
            assert (post.incitement_label, post.incitement_score) == (
                expected.label.value,
                expected.score,
            )
            assert (stored.label, stored.score, stored.language) == (
                expected.label.value,
                expected.score,
                expected.language,
            )
            assert len(stored.evidence) == len(expected.evidence)


def _lines(node: yaml.Node) -> list[tuple[int, str]]:
    out = [(node.start_mark.line, type(node).__name__)]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out += _lines(key) + _lines(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            out += _lines(item)
    return out


def test_libyaml_reads_the_document_and_lines_the_python_parser_reads() -> None:
    world = example_world()
    world["links"][0]["post"]["text"] = "ligne 1\n  ligne 2 : « guillemets » 👉\ttab"
    texts = [
        EXAMPLE_WORLD.read_text(encoding="utf-8"),
        yaml.safe_dump(world, allow_unicode=True, sort_keys=False),
        yaml.safe_dump(world, allow_unicode=False, default_flow_style=True, width=60),
    ]
    for text in texts:
        assert yaml.load(text, Loader=yaml.CSafeLoader) == yaml.load(text, Loader=yaml.SafeLoader)
        assert _lines(yaml.compose(text, Loader=yaml.CSafeLoader)) == _lines(
            yaml.compose(text, Loader=yaml.SafeLoader)
        )
        assert parse_world(text)[0] == parse_world(text)[0]


def test_error_lines_are_exact_though_composed_only_on_error() -> None:
    world = example_world()
    world["campaigns"][0]["budget"] = -5
    text = yaml.safe_dump(world, allow_unicode=True, sort_keys=False)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "budget: -5" in row)
    with pytest.raises(WorldError, match=f"^line {line}: campaigns.0.budget"):
        parse_world(text)
    _, lines = parse_world(EXAMPLE_WORLD.read_text(encoding="utf-8"))
    assert lines.line(["links", 1]) is not None
