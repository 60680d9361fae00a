"""The world the API tests act in: two organisations, three influencers, four campaigns.

| who | what |
|---|---|
| org A `vox` | campaigns `a-main` (active, open), `a-approval` (active, on_approval), `a-draft` (draft) |
| org B `nova` | campaign `b-main` (active, invite_only) |
| influencer X `lucasl77` (login) | approved in `a-main`, a default link and a declared post |
| influencer Y `camille.voyage` (login) | approved in `b-main`, a default link and a declared post |
| influencer Z `zoe` (no login) | applied to `a-approval` |
| clicks | one valid, billed click through X's post; one invalid click through Y's |

Roles acting: admin, advertiser of A (anna), advertiser of B (ben), X, Y, and anonymous.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairclick.accounts.models import Organisation, User
from fairclick.accounts.schemas import TokenIn
from fairclick.accounts.service import issue_token
from fairclick.campaigns.models import Campaign, Enrolment
from fairclick.clicks.models import Click
from fairclick.influencers.models import Influencer
from fairclick.links.models import Link, Post
from fairclick.store import Database
from tests.factories import load_world

ADMIN, ADV_A, ADV_B, INF_X, INF_Y, ANON = "admin", "adv_a", "adv_b", "inf_x", "inf_y", "anon"
ROLES = (ADMIN, ADV_A, ADV_B, INF_X, INF_Y, ANON)
CLICK_X, CLICK_Y = "01JCLICKX00000000000000000", "01JCLICKY00000000000000000"

EMAILS = {
    ADMIN: "admin@fairclick.example",
    ADV_A: "anna@vox.example",
    ADV_B: "ben@nova.example",
    INF_X: "lucas@example.org",
    INF_Y: "camille@example.org",
}
PASSWORDS = {role: f"{role}-secret-pass" for role in EMAILS}

_CARD = {"nano": 35, "micro": 45, "macro": 55, "mega": 70}


def _campaign(key: str, org: str, status: str, openness: str) -> dict[str, Any]:
    return {
        "key": key,
        "organisation": org,
        "name": key.replace("-", " ").title(),
        "destination_url": f"https://{org}.example.org/{key}",
        "currency": "EUR",
        "payout_by_tier": _CARD,
        "budget": 1_000_000,
        "start": "2025-11-16T23:00:00Z",
        "end": "2025-11-23T23:00:00Z",
        "openness": openness,
        "status": status,
    }


WORLD: dict[str, Any] = {
    "organisations": [
        {"key": "vox", "name": "Agence Vox & Co", "country": "FR"},
        {"key": "nova", "name": "Nova Media", "country": "BE"},
    ],
    "users": [
        {"email": EMAILS[ADMIN], "role": "admin", "password": PASSWORDS[ADMIN]},
        {
            "email": EMAILS[ADV_A],
            "role": "advertiser",
            "organisation": "vox",
            "password": PASSWORDS[ADV_A],
        },
        {
            "email": EMAILS[ADV_B],
            "role": "advertiser",
            "organisation": "nova",
            "password": PASSWORDS[ADV_B],
        },
    ],
    "influencers": [
        {
            "key": "lucasl77",
            "email": EMAILS[INF_X],
            "password": PASSWORDS[INF_X],
            "display_name": "Lucas L.",
            "country": "FR",
            "social_accounts": [{"network": "x", "handle": "lucasl77", "followers": 2315}],
            "sessions": [{"ts": "2025-11-16T05:41:03Z", "ip": "90.12.4.7"}],
        },
        {
            "key": "camille.voyage",
            "email": EMAILS[INF_Y],
            "password": PASSWORDS[INF_Y],
            "display_name": "Camille",
            "country": "FR",
            "social_accounts": [
                {"network": "instagram", "handle": "camille.voyage", "followers": 184000}
            ],
        },
        {
            "key": "zoe",
            "display_name": "Zoé",
            "country": "FR",
            "social_accounts": [{"network": "tiktok", "handle": "zoe.z", "followers": 500}],
        },
    ],
    "campaigns": [
        _campaign("a-main", "vox", "active", "open"),
        _campaign("a-approval", "vox", "active", "on_approval"),
        _campaign("a-draft", "vox", "draft", "on_approval"),
        _campaign("b-main", "nova", "active", "invite_only"),
    ],
    "enrolments": [
        {"campaign": "a-main", "influencer": "lucasl77", "status": "approved"},
        {"campaign": "a-approval", "influencer": "zoe", "status": "applied"},
        {"campaign": "b-main", "influencer": "camille.voyage", "status": "approved"},
    ],
    "links": [
        {
            "code": "lucasPost1",
            "campaign": "a-main",
            "influencer": "lucasl77",
            "network": "x",
            "post": {
                "url": "https://x.com/lucasl77/status/1",
                "text": "Trouvez votre bureau de vote ici #Publicité",
                "posted_at": "2025-11-17T05:08:00Z",
            },
        },
        {
            "code": "camillePost1",
            "campaign": "b-main",
            "influencer": "camille.voyage",
            "network": "instagram",
            "post": {"url": "https://instagram.com/p/abc", "text": "Nouveau spot"},
        },
    ],
}


@dataclass
class Built:
    """Ids of the world's rows and each role's bearer token (anonymous has none)."""

    org: dict[str, int] = field(default_factory=dict)
    user: dict[str, int] = field(default_factory=dict)
    influencer: dict[str, int] = field(default_factory=dict)
    campaign: dict[str, int] = field(default_factory=dict)
    enrolment: dict[tuple[str, str], int] = field(default_factory=dict)
    default_link: dict[tuple[str, str], int] = field(default_factory=dict)
    post: dict[tuple[str, str], int] = field(default_factory=dict)
    token: dict[str, str] = field(default_factory=dict)
    token_id: dict[str, int] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        """The Authorization header of `role` (none for anonymous)."""
        return {"Authorization": f"Bearer {self.token[role]}"} if role in self.token else {}


def build_world(db: Database, *, passwords: bool = True) -> Built:
    """Load the world and issue one token per role (and a spare one for X), committed.

    Without `passwords` the logins get none (argon2 takes a good part of a second per hash on
    a busy machine); tokens are issued directly, so only password logins need them."""
    world = copy.deepcopy(WORLD)
    if not passwords:
        for entry in world["users"] + world["influencers"]:
            entry.pop("password", None)
    load_world(db, world)
    built = Built()
    with db.session() as session:
        built.org = {o.key: o.id for o in session.scalars(select(Organisation))}
        users = {u.email: u for u in session.scalars(select(User))}
        built.user = {role: users[email].id for role, email in EMAILS.items()}
        built.influencer = {i.key: i.id for i in session.scalars(select(Influencer))}
        built.campaign = {c.key: c.id for c in session.scalars(select(Campaign))}
        keys_c = {v: k for k, v in built.campaign.items()}
        keys_i = {v: k for k, v in built.influencer.items()}
        for e in session.scalars(select(Enrolment)):
            built.enrolment[(keys_c[e.campaign_id], keys_i[e.influencer_id])] = e.id
        for link in session.scalars(select(Link).where(Link.is_default.is_(True))):
            built.default_link[(keys_c[link.campaign_id], keys_i[link.influencer_id])] = link.id
        for post, link in session.execute(select(Post, Link).join(Link, Link.id == Post.link_id)):
            built.post[(keys_c[link.campaign_id], keys_i[link.influencer_id])] = post.id
        for role, email in EMAILS.items():
            row, secret = issue_token(session, users[email], TokenIn(name=f"{role}-main"))
            built.token[role], built.token_id[role] = secret, row.id
        spare, _ = issue_token(session, users[EMAILS[INF_X]], TokenIn(name="inf_x-spare"))
        built.token_id["inf_x-spare"] = spare.id
        _add_clicks(session, built)
    return built


def _add_clicks(session: Session, built: Built) -> None:
    """One billed click through X's post, one invalid click through Y's (as the worker would
    have written them), ids `CLICK_X` and `CLICK_Y`."""
    for seq, (click_id, code, verdict, reasons, amount, payout) in enumerate(
        [
            (CLICK_X, "lucasPost1", "valid", [], 59, 45),
            (CLICK_Y, "camillePost1", "invalid", ["datacenter"], 0, 0),
        ],
        start=1,
    ):
        link = session.scalars(select(Link).where(Link.code == code)).one()
        post = session.scalars(select(Post).where(Post.link_id == link.id)).one()
        session.add(
            Click(
                click_id=click_id,
                seq=seq,
                ts=datetime(2025, 11, 17, 8, seq, tzinfo=UTC),
                code=code,
                link_id=link.id,
                campaign_id=link.campaign_id,
                influencer_id=link.influencer_id,
                post_id=post.id,
                method="GET",
                status=302,
                ip_prefix="90.12.4.0/24",
                verdict=verdict,
                reasons=reasons,
                billing="billed" if amount else "unbilled",
                unbilled_cause=None if amount else "invalid",
                amount_minor=amount,
                payout_minor=payout,
                currency="EUR",
            )
        )
