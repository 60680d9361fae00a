"""`fairclick load`'s engine: idempotent, atomic, and precise about bad lines."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.links.models import Link, Post
from fairclick.store.models import Base
from fairclick.world.loader import WorldError
from tests.conftest import TestDb
from tests.factories import example_world, load_world


def _dump(test_db: TestDb) -> dict[str, list[tuple[Any, ...]]]:
    with test_db.db.engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {name} ORDER BY 1"))]
            for name in sorted(Base.metadata.tables)
        }


def test_example_loads_and_builds_links(test_db: TestDb) -> None:
    summary = load_world(test_db.db)
    assert summary.created["campaigns"] == 1
    with test_db.db.session() as session:
        campaign = session.scalars(select(Campaign)).one()
        assert campaign.budget_minor == 18_000_000
        assert campaign.payout_by_tier == {"nano": 35, "micro": 45, "macro": 55, "mega": 70}
        assert session.scalar(select(Enrolment.status).limit(1)) == "approved"
        fixed = session.scalars(select(Link).where(Link.code == "bviabRurGt")).one()
        assert fixed.target_url == (
            "https://primaire.example.org/ou-voter?utm_source=x&utm_medium=lucasl77"
            "&utm_campaign=primaire-ou-voter"
        )
        post = session.scalars(select(Post).where(Post.link_id == fixed.id)).one()
        assert "bureau de vote" in post.text
        # every approved enrolment has a default link besides the fixed ones
        assert session.scalars(select(Link).where(Link.is_default.is_(True))).all().__len__() == 2


def test_loading_twice_gives_the_same_database(test_db: TestDb) -> None:
    load_world(test_db.db)
    first = _dump(test_db)
    again = load_world(test_db.db)
    assert again.created == {}
    assert _dump(test_db) == first


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda w: w["campaigns"][0].update(budget=-5), "budget"),
        (lambda w: w["campaigns"][0].update(destination_url="javascript:alert(1)"), "http"),
        (lambda w: w["campaigns"][0].update(currency="EURO"), "currency"),
        (lambda w: w["campaigns"][0].update(end="2025-11-01T00:00:00Z"), "end must be after start"),
        (lambda w: w["enrolments"][0].update(influencer="nobody"), "no influencer"),
        (lambda w: w["users"].append(dict(w["users"][1], role="admin")), "exists with role"),
    ],
)
def test_malformed_world_changes_nothing_and_names_the_line(
    test_db: TestDb, mutate: Any, message: str
) -> None:
    import yaml

    world = example_world()
    mutate(world)
    text_ = yaml.safe_dump(world, allow_unicode=True, sort_keys=False)
    before = _dump(test_db)
    with pytest.raises(WorldError) as err:
        load_world(test_db.db, text_)
    assert "line " in str(err.value)
    assert message.lower() in str(err.value).lower()
    assert _dump(test_db) == before


def test_yaml_syntax_error_names_the_line(sqlite_db: TestDb) -> None:
    with pytest.raises(WorldError, match="line 2"):
        load_world(sqlite_db.db, "organisations:\n\t- {key: vox, name: oops}\n")


def test_validation_error_names_the_exact_line(sqlite_db: TestDb) -> None:
    import yaml

    world = example_world()
    world["campaigns"][0]["budget"] = -5
    text_ = yaml.safe_dump(world, allow_unicode=True, sort_keys=False)
    line = next(i for i, row in enumerate(text_.splitlines(), 1) if "budget: -5" in row)
    with pytest.raises(WorldError, match=f"^line {line}: campaigns.0.budget"):
        load_world(sqlite_db.db, text_)


def test_inciting_posts_in_a_world_are_judged_after_loading(sqlite_db: TestDb) -> None:
    """A world file records history: a suspension caused by its posts must not refuse its
    later links, and loading it again judges nothing twice."""
    from fairclick.moderation.models import PostAssessment, Violation

    world = example_world()
    for n in range(3):
        world["links"].append(
            {
                "campaign": "primaire-ou-voter",
                "influencer": "lucasl77",
                "network": "x",
                "post": {
                    "url": f"https://x.com/lucasl77/status/{100 + n}",
                    "text": f"Cliquez {n + 2} fois sur mon lien svp, chaque clic me rapporte 50 centimes 🙏",
                },
            }
        )
    load_world(sqlite_db.db, world)
    load_world(sqlite_db.db, world)
    with sqlite_db.db.session() as session:
        assert (
            session.scalars(select(Enrolment.status).where(Enrolment.id == 1)).one() == "suspended"
        )
        assert len(session.scalars(select(Violation)).all()) == 3
        assert len(session.scalars(select(PostAssessment)).all()) == 4  # each post judged once
