"""Generators of clicks made by people: genuine followers, and the people behind cheating
(incited friends, click-exchange rings, self-clicks, velocity abusers, prefetching browsers)."""

from __future__ import annotations

import numpy as np

from fairclick.domain.reasons import Reason
from fairclick.simulate.agents import navigation_headers
from fairclick.simulate.events import Batch, make, reason_code, visitor_ids
from fairclick.simulate.people import Context
from fairclick.simulate.world import ROLES

MINUTE_US = 60_000_000


def _people_batch(
    ctx: Context, links: np.ndarray, t: np.ndarray, kind: str, reason: Reason | None
) -> Batch:
    p = ctx.people(links)
    return make(
        links.shape[0],
        t=t,
        link=links,
        ip=p.ip,
        agent=p.agent_id,
        headers=p.headers,
        referer=p.referer,
        language=p.language,
        visitor=p.visitor,
        kind=ctx.kind(kind),
        reason=reason,
    )


def organic(ctx: Context, n: int) -> Batch:
    """Followers clicking honest posts: reach ∝ followers × lognormal virality, decaying after
    each post; a share through the influencers' default (bio) links, spread over the window."""
    rng, plan = ctx.rng, ctx.plan
    honest = ctx.post_links(~plan.link_inciting)
    weight = ctx.reach(honest) * rng.lognormal(
        0.0, ctx.scenario.traffic.virality_sigma, honest.size
    )
    n_default = round(n * ctx.scenario.traffic.default_link_share)
    per_post = rng.multinomial(n - n_default, weight / weight.sum())
    links = np.repeat(honest, per_post)
    t = ctx.plan.clock.after(rng, plan.link_posted[links], ctx.half_life(links))
    defaults = np.flatnonzero(plan.link_posted < 0)
    dweight = ctx.reach(defaults)
    dlinks = defaults[rng.choice(defaults.size, size=n_default, p=dweight / dweight.sum())]
    dt = plan.clock.uniform(rng, n_default)
    return _people_batch(
        ctx, np.concatenate([links, dlinks]), np.concatenate([t, dt]), "organic", None
    )


def repeats(ctx: Context, source: Batch, n: int, kind: str, median_us: float) -> Batch:
    """The same people clicking the same links again, `median_us` later on median (the
    dedupe pass decides which of these are duplicates)."""
    rng = ctx.rng
    if len(source) == 0 or n == 0:
        return Batch.concat([])
    pick = rng.integers(0, len(source), size=n)
    out = source.take(pick)
    delay = (rng.lognormal(0.0, 1.0, n) * median_us).astype(np.int64) + 2_000_000
    out.t = np.minimum(out.t + delay, ctx.plan.clock.end_us - 1)
    out.kind[:] = ctx.kind(kind)
    return out


def incited(ctx: Context, n: int) -> Batch:
    """Friends answering a pleading post: few people, several devices each, clicking again and
    again soon after the post. Every click through an inciting post is `incited`."""
    rng, plan = ctx.rng, ctx.plan
    links = ctx.post_links(plan.link_inciting)
    if links.size == 0 or n == 0:
        return Batch.concat([])
    # A friend circle per post: ~ sqrt of reach, devices 1-3 per friend.
    friends = np.maximum(4, np.sqrt(ctx.reach(links)) / 3).astype(int)
    owner = np.repeat(links, friends)
    people = ctx.people(owner)
    devices = rng.integers(1, 4, size=owner.size)
    device_owner = np.repeat(np.arange(owner.size), devices)
    second = np.ones(device_owner.size, dtype=bool)
    second[np.r_[0, np.cumsum(devices)[:-1]]] = False
    # Extra devices: other agents and cookies; phones on the mobile network get another address.
    agent = people.agent[device_owner].copy()
    agent[second] = ctx.browser_index[rng.integers(0, ctx.browser_index.size, int(second.sum()))]
    visitor = people.visitor[device_owner].copy()
    visitor[second] = visitor_ids(rng, int(second.sum()))
    visitor[~ctx.cookies[agent]] = None
    ip = people.ip[device_owner].copy()
    moved = second & (rng.random(device_owner.size) < 0.5)
    ip[moved] = ctx.home_ips(int(moved.sum()))
    referer = people.referer[device_owner]
    headers = ctx.nav_headers[agent, (referer != ctx.no_referer).astype(int)]
    pick = rng.integers(0, device_owner.size, size=n)
    link = owner[device_owner[pick]]
    t = plan.clock.after(rng, plan.link_posted[link], np.full(n, 2.0))
    return make(
        n,
        t=t,
        link=link,
        ip=ip[pick],
        agent=ctx.agent_ids[agent[pick]],
        headers=headers[pick],
        referer=referer[pick],
        language=people.language[device_owner[pick]],
        visitor=visitor[pick],
        kind=ctx.kind("incited"),
        reason=Reason.INCITED,
    )


def _identities(ctx: Context, influencers: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each influencer's first own session: address, agent index, visitor id."""
    ips, agents, visitors = [], [], []
    for i in influencers.tolist():
        s = ctx.plan.sessions[i][0]
        ips.append(s.ip)
        agents.append(int(ctx.session_agent[s.agent]))
        visitors.append(s.visitor_id)
    return np.array(ips, dtype=object), np.array(agents), np.array(visitors, dtype=object)


def click_ring(ctx: Context, n: int) -> Batch:
    """Click exchange: ring members (the influencers and a few friends each) click every other
    member's links soon after each post, over and over."""
    rng, plan = ctx.rng, ctx.plan
    members = np.flatnonzero(plan.ring >= 0)
    if members.size == 0 or n == 0:
        return Batch.concat([])
    friends_per = 3
    m_ips, m_agents, m_visitors = _identities(ctx, members)
    f_owner = np.repeat(np.arange(members.size), friends_per)
    f_people = ctx.people(np.zeros(f_owner.size, dtype=np.int64))
    ip = np.concatenate([m_ips, f_people.ip])
    agent = np.concatenate([m_agents, f_people.agent])
    visitor = np.concatenate([m_visitors, visitor_ids(rng, f_owner.size)])
    group = np.concatenate([plan.ring[members], plan.ring[members][f_owner]])
    self_of = np.concatenate([members, np.full(f_owner.size, -1)])
    language = ctx.languages(ip.size)
    ring_links = np.flatnonzero(plan.ring[plan.link_influencer] >= 0)
    link_group = plan.ring[plan.link_influencer[ring_links]]
    order = np.argsort(link_group, kind="stable")
    sorted_links = ring_links[order]
    counts = np.bincount(link_group, minlength=int(group.max()) + 1)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    who = rng.integers(0, ip.size, n)
    g = group[who]

    def draw(idx: np.ndarray) -> np.ndarray:
        return sorted_links[starts[g[idx]] + (rng.random(idx.size) * counts[g[idx]]).astype(int)]

    link = draw(np.arange(n))
    # Nobody in a ring clicks their own link through the ring (that is a self-click).
    own = np.flatnonzero(self_of[who] == plan.link_influencer[link])
    while own.size:
        link[own] = draw(own)
        own = own[self_of[who[own]] == plan.link_influencer[link[own]]]
    base = plan.link_posted[link]
    base = np.where(base < 0, plan.clock.uniform(rng, n), base)
    delay = (rng.uniform(5, 90, n) * MINUTE_US).astype(np.int64)
    t = np.minimum(base + delay, plan.clock.end_us - 1)
    referer = ctx.people(link).referer
    return make(
        n,
        t=t,
        link=link,
        ip=ip[who],
        agent=ctx.agent_ids[agent[who]],
        headers=ctx.nav_headers[agent[who], (referer != ctx.no_referer).astype(int)],
        referer=referer,
        language=language[who],
        visitor=visitor[who],
        kind=ctx.kind("click_ring"),
        reason=Reason.CLICK_RING,
    )


def self_click(ctx: Context, n: int) -> Batch:
    """Influencers clicking their own links from their own logged-in devices."""
    rng, plan = ctx.rng, ctx.plan
    clickers = np.flatnonzero(plan.role == ROLES.index("self_click"))
    if clickers.size == 0 or n == 0:
        return Batch.concat([])
    own_links = np.flatnonzero(np.isin(plan.link_influencer, clickers))
    link = own_links[rng.integers(0, own_links.size, n)]
    infl = plan.link_influencer[link]
    ips, agents, visitors = [], [], []
    for i in infl.tolist():
        sessions = plan.sessions[i]
        s = sessions[int(rng.integers(len(sessions)))]
        ips.append(s.ip)
        agents.append(int(ctx.session_agent[s.agent]))
        visitors.append(s.visitor_id)
    agent = np.array(agents)
    base = plan.link_posted[link]
    t = np.where(
        base < 0,
        plan.clock.uniform(rng, n),
        plan.clock.after(rng, np.maximum(base, plan.clock.start_us), 3.0),
    )
    return make(
        n,
        t=t,
        link=link,
        ip=np.array(ips, dtype=object),
        agent=ctx.agent_ids[agent],
        headers=ctx.nav_headers[agent, 0],
        referer=ctx.no_referer,
        language=ctx.languages(n),
        visitor=np.array(visitors, dtype=object),
        kind=ctx.kind("self_click"),
        reason=Reason.SELF_CLICK,
    )


def velocity(ctx: Context, n: int) -> Batch:
    """Single visitors (one address, one browser, one cookie) clicking link after link every
    few seconds: 15-60 clicks per abuser."""
    rng, plan = ctx.rng, ctx.plan
    if n == 0:
        return Batch.concat([])
    chunks: list[int] = []
    while sum(chunks) < n:
        chunks.append(min(int(rng.integers(15, 61)), n - sum(chunks)))
    sizes = np.array(chunks)
    abusers = sizes.size
    owner = np.repeat(np.arange(abusers), sizes)
    p = ctx.people(rng.integers(0, len(plan.link_codes), abusers))
    start = plan.clock.uniform(rng, abusers)
    gaps = (rng.uniform(1.0, 8.0, n) * 1_000_000).astype(np.int64)
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    offset = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first] - gaps[first], sizes)
    t = np.minimum(start[owner] + offset, plan.clock.end_us - 1)
    link = rng.integers(0, len(plan.link_codes), n)
    return make(
        n,
        t=t,
        link=link,
        ip=p.ip[owner],
        agent=p.agent_id[owner],
        headers=p.headers[owner],
        referer=p.referer[owner],
        language=p.language[owner],
        visitor=p.visitor[owner],
        kind=ctx.kind("velocity"),
        reason=Reason.VELOCITY,
    )


def prefetch(ctx: Context, source: Batch, n: int) -> Batch:
    """Chromium browsers fetching a link they were only shown (speculation rules, omnibox):
    `Sec-Purpose: prefetch`, no user activation; nobody clicked."""
    rng = ctx.rng
    if len(source) == 0 or n == 0:
        return Batch.concat([])
    chromium = [i for i, a in enumerate(ctx.agents) if a.brands and a.in_app is None]
    headers = []
    for i in chromium:
        h = navigation_headers(ctx.agents[i])
        h.pop("sec-fetch-user")
        h["sec-purpose"] = "prefetch" if rng.random() < 0.7 else "prefetch;prerender"
        headers.append(ctx.tables.headers.id(h))
    which = rng.integers(0, len(chromium), n)
    out = source.take(rng.integers(0, len(source), n))
    out.t = np.maximum(
        out.t - (rng.uniform(1, 120, n) * 1_000_000).astype(np.int64), ctx.plan.clock.start_us
    )
    out.agent = ctx.agent_ids[np.array(chromium)[which]].astype(np.int32)
    out.headers = np.array(headers, dtype=np.int32)[which]
    out.ip = ctx.home_ips(n)
    out.visitor = visitor_ids(rng, n)
    out.kind[:] = ctx.kind("prefetch")
    out.reason[:] = reason_code(Reason.PREFETCH)
    return out
