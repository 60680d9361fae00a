"""The simulated world: organisation, advertiser, campaign, influencers with their accounts,
sessions, links and posts, and which influencers cheat. Written as a DESIGN.md world file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from fairclick.domain.influence import Network, Tier, tier_for_reach
from fairclick.simulate.agents import BROWSERS
from fairclick.simulate.network import ipv4_strings, sample_ipv4
from fairclick.simulate.scenario import Scenario
from fairclick.simulate.timing import Clock

_TIER_BOUNDS = {
    Tier.NANO: (1_000, 10_000),
    Tier.MICRO: (10_000, 100_000),
    Tier.MACRO: (100_000, 1_000_000),
    Tier.MEGA: (1_000_000, 6_000_000),
}
_NAMES = {
    "FR": "lucas emma hugo lea louis chloe nathan manon gabriel camille jules ines arthur "
    "sarah theo jade paul lina adam zoe raphael clara tom louise enzo alice noah",
    "DE": "leon mia noah emilia paul hannah ben emma finn sophia elias lena jonas lea felix "
    "marie luis anna max lina henry clara",
    "ES": "hugo lucia martin sofia pablo maria daniel paula alejandro julia mateo valeria "
    "leo carmen alvaro sara",
}
ROLES = ("", "inciting", "self_click", "ring", "farm")
_ALPHABET = np.frombuffer(
    b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", dtype=np.uint8
)


@dataclass(slots=True)
class Session:
    ip: str
    agent: int  # index into BROWSERS
    visitor_id: str


@dataclass(slots=True)
class Plan:
    """Everything traffic generation needs about the world, as arrays indexed by link or
    influencer, plus the world document itself."""

    world: dict[str, Any]
    influencer_keys: list[str]
    followers: np.ndarray  # int64 per influencer
    tiers: list[Tier]
    role: np.ndarray  # int8 index into ROLES per influencer
    ring: np.ndarray  # int32 ring group per influencer, -1 if none
    sessions: list[list[Session]]
    link_codes: list[str]
    link_influencer: np.ndarray  # int32
    link_network: list[str]
    link_posted: np.ndarray  # int64 µs, -1 for default links
    link_inciting: np.ndarray  # bool
    clock: Clock
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cheater(self) -> np.ndarray:
        return self.role > 0


def codes(rng: np.random.Generator, n: int, length: int = 10) -> list[str]:
    """Distinct random link codes."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        raw = _ALPHABET[rng.integers(0, len(_ALPHABET), size=(n, length))]
        for row in raw:
            code = row.tobytes().decode()
            if code not in seen:
                seen.add(code)
                out.append(code)
                if len(out) == n:
                    break
    return out


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _choose(rng: np.random.Generator, shares: dict[Any, float], n: int) -> list[Any]:
    keys = list(shares)
    p = np.asarray([shares[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=p / p.sum())]


def build_plan(scenario: Scenario, rng: np.random.Generator) -> Plan:
    """Draw the influencers, their accounts, sessions, posts and links, and the cheaters."""
    sc, inf = scenario, scenario.influencers
    clock = Clock.for_campaign(sc.campaign, sc.traffic.weekend_factor)
    n = inf.count
    tiers = _choose(rng, dict(inf.tiers), n)
    low = np.array([_TIER_BOUNDS[t][0] for t in tiers], dtype=float)
    high = np.array([_TIER_BOUNDS[t][1] for t in tiers], dtype=float)
    followers = np.exp(rng.uniform(np.log(low), np.log(high))).astype(np.int64)
    networks = [str(net.value) for net in _choose(rng, dict(inf.networks), n)]
    names = _NAMES.get(inf.country, _NAMES["FR"]).split()
    keys: list[str] = []
    for i in range(n):
        name = names[int(rng.integers(len(names)))]
        keys.append(f"{name}{chr(97 + int(rng.integers(26)))}{i + 1:03d}")

    role = np.zeros(n, dtype=np.int8)
    ring = np.full(n, -1, dtype=np.int32)
    # Mass-market cheating is a nano/micro affair; mega accounts do not plead for clicks.
    order = rng.permutation(np.argsort(followers, kind="stable")[: max(n * 3 // 4, 1)])
    cursor = 0

    def take(count: int) -> np.ndarray:
        nonlocal cursor
        chosen = order[cursor : cursor + count]
        cursor += count
        return chosen

    ch = sc.cheaters
    role[take(ch.inciting)] = ROLES.index("inciting")
    role[take(ch.self_clickers)] = ROLES.index("self_click")
    for group in range(ch.ring_groups):
        members = take(ch.ring_size)
        role[members] = ROLES.index("ring")
        ring[members] = group
    role[take(ch.farm_clients)] = ROLES.index("farm")

    cheats, honest = np.flatnonzero(role > 0), np.flatnonzero(role == 0)
    half = inf.logins // 2
    with_login = set(cheats[:half].tolist()) | set(
        honest[: inf.logins - min(half, cheats.size)].tolist()
    )
    home_pools = dict(sc.traffic.isps)
    session_ips = ipv4_strings(sample_ipv4(rng, home_pools, n * 3))
    sessions: list[list[Session]] = []
    influencers: list[dict[str, Any]] = []
    for i in range(n):
        count = int(rng.integers(1, 4))
        own = [
            Session(
                str(session_ips[i * 3 + j]),
                int(rng.integers(len(BROWSERS))),
                rng.bytes(16).hex(),
            )
            for j in range(count)
        ]
        sessions.append(own)
        accounts = [{"network": networks[i], "handle": keys[i], "followers": int(followers[i])}]
        record: dict[str, Any] = {
            "key": keys[i],
            "display_name": f"{keys[i][:-4].capitalize()} {keys[i][-4].upper()}.",
            "country": inf.country,
            "social_accounts": accounts,
            "sessions": [
                {
                    "ts": _iso(clock.start_dt - timedelta(hours=float(rng.uniform(1, 240)))),
                    "ip": s.ip,
                    "user_agent": BROWSERS[s.agent][0].user_agent,
                    "visitor_id": s.visitor_id,
                }
                for s in own
            ],
        }
        if inf.password and i in with_login:
            record["email"] = f"{keys[i]}@influence.example"
            record["password"] = inf.password
        influencers.append(record)

    # Links: one default (bio) link per influencer, then one per post.
    post_counts = rng.integers(inf.posts[0], inf.posts[1] + 1, size=n)
    link_infl = np.concatenate([np.arange(n), np.repeat(np.arange(n), post_counts)]).astype(
        np.int32
    )
    total_links = len(link_infl)
    link_codes = codes(rng, total_links)
    posted = np.full(total_links, -1, dtype=np.int64)
    n_posts = total_links - n
    posted[n:] = clock.post_times(rng, n_posts)
    inciting = np.zeros(total_links, dtype=bool)
    is_inciter = role[link_infl] == ROLES.index("inciting")
    # An inciting influencer pleads in most of their posts, not necessarily all.
    inciting[n:] = is_inciter[n:] & (rng.random(n_posts) < 0.8)
    for i in np.flatnonzero(role == ROLES.index("inciting")).tolist():
        own_posts = np.flatnonzero((link_infl == i) & (posted >= 0))
        if own_posts.size and not inciting[own_posts].any():
            inciting[own_posts[0]] = True

    link_network = [networks[i] for i in link_infl.tolist()]
    links: list[dict[str, Any]] = []
    legit, pleas, tags = sc.posts.legit, sc.posts.inciting, sc.posts.hashtags
    for j in range(total_links):
        i = int(link_infl[j])
        link: dict[str, Any] = {
            "code": link_codes[j],
            "campaign": sc.campaign.key,
            "influencer": keys[i],
            "network": link_network[j],
        }
        if posted[j] >= 0:
            pool = pleas if inciting[j] else legit
            text = pool[int(rng.integers(len(pool)))].format(
                link=sc.posts.link_base + link_codes[j]
            )
            if tags and not inciting[j] and rng.random() < 0.5:
                text = f"{text} {tags[int(rng.integers(len(tags)))]}"
            when = datetime.fromtimestamp(posted[j] / 1e6, tz=UTC)
            link["post"] = {
                "url": _post_url(link_network[j], keys[i], j),
                "text": text,
                "posted_at": _iso(when),
            }
        links.append(link)

    campaign = sc.campaign
    world = {
        "organisations": [sc.organisation.model_dump()],
        "users": [
            {
                "email": sc.advertiser.email,
                "role": "advertiser",
                "organisation": sc.organisation.key,
                "password": sc.advertiser.password,
            }
        ],
        "influencers": influencers,
        "campaigns": [
            {
                "key": campaign.key,
                "organisation": sc.organisation.key,
                "name": campaign.name,
                "destination_url": campaign.destination_url,
                "currency": campaign.currency,
                "payout_by_tier": {t.value: v for t, v in campaign.payout_by_tier.items()},
                "commission_percent": campaign.commission_percent,
                "budget": campaign.budget,
                "start": _iso(clock.start_dt),
                "end": _iso(clock.end_dt),
                "timezone": campaign.timezone,
                "dedupe_window_hours": campaign.dedupe_window_hours,
                "openness": campaign.openness,
                "status": "active",
            }
            | (
                {}
                if campaign.violation_limit is None
                else {"violation_limit": campaign.violation_limit}
            )
        ],
        "enrolments": [
            {"campaign": campaign.key, "influencer": k, "status": "approved"} for k in keys
        ],
        "links": links,
    }
    return Plan(
        world=world,
        influencer_keys=keys,
        followers=followers,
        tiers=[tier_for_reach(int(f)) for f in followers],
        role=role,
        ring=ring,
        sessions=sessions,
        link_codes=link_codes,
        link_influencer=link_infl,
        link_network=link_network,
        link_posted=posted,
        link_inciting=inciting,
        clock=clock,
    )


def _post_url(network: str, handle: str, j: int) -> str:
    match Network(network):
        case Network.X:
            return f"https://x.com/{handle}/status/{1_870_000_000_000_000_000 + j}"
        case Network.FACEBOOK:
            return f"https://www.facebook.com/{handle}/posts/{10_000_000 + j}"
        case Network.INSTAGRAM:
            return f"https://www.instagram.com/p/C{j:09d}/"
        case Network.TIKTOK:
            return f"https://www.tiktok.com/@{handle}/video/{7_400_000_000_000_000_000 + j}"
        case Network.YOUTUBE:
            return f"https://www.youtube.com/watch?v=v{j:010d}"
        case _:
            return f"https://social.example/{handle}/{j}"
