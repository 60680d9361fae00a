"""The world file: DESIGN.md's format, loadable by the platform's own schema."""

from __future__ import annotations

from pathlib import Path

import yaml

from fairclick.domain.influence import Network
from fairclick.simulate.output import RunSummary
from fairclick.world.schema import World

# The keys of DESIGN.md's world-file example, section by section.
DESIGN_KEYS = {
    "organisations": {"key", "name", "country"},
    "users": {"email", "role", "organisation", "password"},
    "influencers": {"key", "email", "display_name", "country", "social_accounts", "sessions"},
    "campaigns": {
        "key",
        "organisation",
        "name",
        "destination_url",
        "currency",
        "payout_by_tier",
        "commission_percent",
        "budget",
        "start",
        "end",
        "timezone",
        "dedupe_window_hours",
        "openness",
        "status",
        "violation_limit",
    },
    "enrolments": {"campaign", "influencer", "status"},
    "links": {"code", "campaign", "influencer", "network", "post"},
}


def test_world_has_the_design_shape(default_run: tuple[RunSummary, Path]) -> None:
    _, out = default_run
    world = yaml.safe_load((out / "world.yaml").read_text(encoding="utf-8"))
    assert list(world) == list(DESIGN_KEYS)
    for section, keys in DESIGN_KEYS.items():
        for item in world[section]:
            assert set(item) <= keys | {"password"}, (section, set(item) - keys)
    assert set(world["campaigns"][0]) == DESIGN_KEYS["campaigns"]
    assert world["campaigns"][0]["violation_limit"] == 100
    posted = [link for link in world["links"] if "post" in link]
    assert set(posted[0]["post"]) == {"url", "text", "posted_at"}
    session = world["influencers"][0]["sessions"][0]
    assert set(session) == {"ts", "ip", "user_agent", "visitor_id"}
    World.model_validate(world)  # the loader's own schema accepts it


def test_the_2017_story(default_run: tuple[RunSummary, Path]) -> None:
    _, out = default_run
    world = yaml.safe_load((out / "world.yaml").read_text(encoding="utf-8"))
    assert world["organisations"] == [{"key": "vox", "name": "Agence Vox & Co", "country": "FR"}]
    campaign = world["campaigns"][0]
    assert campaign["name"] == "Primaire : où voter"
    assert campaign["destination_url"] == "https://primaire.example.org/ou-voter"
    assert campaign["payout_by_tier"] == {"nano": 35, "micro": 45, "macro": 55, "mega": 70}
    assert campaign["timezone"] == "Europe/Paris" and campaign["openness"] == "open"
    influencers = world["influencers"]
    assert len(influencers) == 300
    networks = {a["network"] for i in influencers for a in i["social_accounts"]}
    assert networks == {"x", "facebook", "instagram", "tiktok"}
    assert all(Network(n) for n in networks)
    keys = {i["key"] for i in influencers}
    assert {e["influencer"] for e in world["enrolments"]} == keys
    assert all(e["status"] == "approved" for e in world["enrolments"])
    defaults = [link for link in world["links"] if "post" not in link]
    assert {link["influencer"] for link in defaults} == keys  # one default link each
    texts = [link["post"]["text"] for link in world["links"] if "post" in link]
    assert any("cliquez plusieurs fois" in t for t in texts)
    assert any("clic pour clic" in t for t in texts)
    assert any("Publicité" in t or "#sponsorisé" in t for t in texts)
    codes = [link["code"] for link in world["links"]]
    assert len(set(codes)) == len(codes)
