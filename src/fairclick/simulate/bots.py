"""Generators of requests with nobody behind them: link previews, crawlers and monitors,
scripts, browsers in data centers, click farms and headless browsers."""

from __future__ import annotations

import numpy as np

from fairclick.domain.reasons import Reason
from fairclick.simulate.agents import (
    CRAWLERS,
    HEADLESS,
    MASTODON_INSTANCES,
    PREVIEWERS,
    SCRIPTS,
    navigation_headers,
)
from fairclick.simulate.events import Batch, bit, make, visitor_ids
from fairclick.simulate.network import ipv4_strings, is_hosting, sample_ipv4
from fairclick.simulate.people import Context
from fairclick.simulate.world import ROLES

SECOND_US = 1_000_000
HOSTING = {"hetzner": 0.35, "ovh": 0.25, "aws": 0.2, "digitalocean": 0.15, "gcloud": 0.05}
_DC = bit(Reason.DATACENTER)


def _ips(ctx: Context, pool: str, n: int) -> np.ndarray:
    if not pool:
        return ctx.home_ips(n)
    return ipv4_strings(sample_ipv4(ctx.rng, {pool: 1.0}, n))


def preview(ctx: Context, n: int) -> Batch:
    """Link previews. At post time: on X, Twitterbot then one GET and three HEAD with browser
    user agents from Twitter's network (no Sec-Fetch, no Accept-Language); on Facebook and
    Instagram, facebookexternalhit. A share of posts is cross-posted to the fediverse, where
    every instance fetches the link within seconds. The rest: shares in messengers
    (WhatsApp from the sender's phone, Slack, Discord, Telegram) at any time."""
    rng, plan, tables = ctx.rng, ctx.plan, ctx.tables
    rows: list[tuple[int, int, str, int, int, bool]] = []  # t, link, pool, agent, headers, head
    bare = tables.headers.id({"accept": "*/*"})
    browser_like = [
        tables.agents.id(ctx.agents[i].user_agent)
        for i in range(len(ctx.agents))
        if ctx.agents[i].in_app is None and not ctx.agents[i].mobile
    ]
    posts = ctx.post_links()
    for j in rng.permutation(posts).tolist():
        t0 = int(plan.link_posted[j]) + int(rng.uniform(1, 20) * SECOND_US)
        net = plan.link_network[j]
        if net == "x":
            rows.append(
                (t0, j, "twitter", tables.agents.id(PREVIEWERS["twitterbot"][0]), bare, False)
            )
            ua = browser_like[int(rng.integers(len(browser_like)))]
            for k in range(4):
                rows.append(
                    (t0 + (k + 1) * 300_000, j, "twitter", ua, tables.headers.id({}), k > 0)
                )
        elif net in ("facebook", "instagram"):
            fb = tables.agents.id(PREVIEWERS["facebook"][0])
            for k in range(2 if net == "facebook" else 1):
                rows.append((t0 + k * 2 * SECOND_US, j, "facebook", fb, bare, False))
        if rng.random() < ctx.scenario.traffic.mastodon_share:
            fanout = int(rng.integers(30, 300))
            spread = rng.exponential(4.0, fanout) * SECOND_US
            for k in range(fanout):
                host = MASTODON_INSTANCES[k % len(MASTODON_INSTANCES)]
                name = host if k < len(MASTODON_INSTANCES) else f"social{k}.{host.split('.')[-1]}"
                ua = tables.agents.id(f"Mastodon/4.3.2 (http.rb/5.2.0; +https://{name}/)")
                rows.append((t0 + int(spread[k]), j, "@hosting", ua, bare, False))
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order[:n]]
    shares = n - len(rows)
    if shares > 0:
        names = ["whatsapp", "whatsapp", "whatsapp", "slackbot", "discordbot", "telegram"]
        link = posts[rng.integers(0, posts.size, shares)]
        t = plan.clock.after(rng, plan.link_posted[link], ctx.half_life(link) * 3)
        which = rng.integers(0, len(names), shares)
        for k in range(shares):
            agent_ua, pool = PREVIEWERS[names[which[k]]]
            rows.append((int(t[k]), int(link[k]), pool, tables.agents.id(agent_ua), bare, False))
    return _rows(ctx, rows, "preview", Reason.LINK_PREVIEW)


def _rows(
    ctx: Context, rows: list[tuple[int, int, str, int, int, bool]], kind: str, reason: Reason
) -> Batch:
    n = len(rows)
    if n == 0:
        return Batch.concat([])
    t, link, pools, agent, headers, head = (
        np.array(c, dtype=object) for c in zip(*rows, strict=True)
    )
    ip = np.empty(n, dtype=object)
    extra = np.zeros(n, dtype=np.int32)
    for pool in set(pools.tolist()):
        idx = np.flatnonzero(pools == pool)
        if pool == "@hosting":
            ip[idx] = ipv4_strings(sample_ipv4(ctx.rng, HOSTING, idx.size))
            extra[idx] = _DC
        else:
            ip[idx] = _ips(ctx, pool, idx.size)
            if pool and is_hosting(pool):
                extra[idx] = _DC
    return make(
        n,
        t=t.astype(np.int64),
        link=link.astype(np.int32),
        ip=ip,
        agent=agent.astype(np.int32),
        headers=headers.astype(np.int32),
        referer=ctx.no_referer,
        language=ctx.no_language,
        visitor=None,
        head=head.astype(bool),
        kind=ctx.kind(kind),
        reason=reason,
        extra=extra,
    )


def crawler(ctx: Context, n: int) -> Batch:
    """Declared crawlers and uptime monitors, from their owners' networks, at any hour."""
    rng = ctx.rng
    p = np.array([c[3] for c in CRAWLERS])
    which = rng.choice(len(CRAWLERS), size=n, p=p / p.sum())
    t = ctx.plan.clock.uniform(rng, n, diurnal=False)
    link = rng.integers(0, len(ctx.plan.link_codes), n)
    bare = ctx.tables.headers.id({"accept": "*/*"})
    rows = [
        (int(t[k]), int(link[k]), CRAWLERS[w][2], ctx.tables.agents.id(CRAWLERS[w][1]), bare, False)
        for k, w in enumerate(which.tolist())
    ]
    return _rows(ctx, rows, "crawler", Reason.KNOWN_CRAWLER)


def script(ctx: Context, n: int) -> Batch:
    """HTTP libraries and tools, mostly from hosting networks, some from home connections."""
    rng = ctx.rng
    t = ctx.plan.clock.uniform(rng, n, diurnal=False)
    link = rng.integers(0, len(ctx.plan.link_codes), n)
    ua = rng.integers(0, len(SCRIPTS), n)
    home = rng.random(n) < 0.2
    bare = ctx.tables.headers.id({"accept": "*/*"})
    ip = np.where(home, ctx.home_ips(n), ipv4_strings(sample_ipv4(rng, HOSTING, n)))
    return make(
        n,
        t=t,
        link=link,
        ip=ip,
        agent=np.array([ctx.tables.agents.id(s) for s in SCRIPTS])[ua],
        headers=bare,
        referer=ctx.no_referer,
        language=ctx.no_language,
        visitor=None,
        kind=ctx.kind("script"),
        reason=Reason.NON_BROWSER,
        extra=np.where(home, 0, _DC),
    )


def datacenter_browser(ctx: Context, n: int) -> Batch:
    """Browser user agents with a browser's headers, from cloud and hosting networks
    (scrapers, VPN exits, bought traffic)."""
    rng = ctx.rng
    link = rng.integers(0, len(ctx.plan.link_codes), n)
    p = ctx.people(link)
    return make(
        n,
        t=ctx.plan.clock.uniform(rng, n),
        link=link,
        ip=ipv4_strings(sample_ipv4(rng, HOSTING, n)),
        agent=p.agent_id,
        headers=p.headers,
        referer=p.referer,
        language=p.language,
        visitor=p.visitor,
        kind=ctx.kind("datacenter_browser"),
        reason=Reason.DATACENTER,
    )


def click_farm(ctx: Context, n: int) -> Batch:
    """A click farm paid by some influencers: a rack of phones on few /24 subnets of the
    target country, rotating user agents and clearing cookies, clicking the clients' links
    one after another at an almost fixed interval."""
    rng, plan, sc = ctx.rng, ctx.plan, ctx.scenario.cheaters
    clients = np.flatnonzero(plan.role == ROLES.index("farm"))
    if clients.size == 0 or n == 0:
        return Batch.concat([])
    links = np.flatnonzero(np.isin(plan.link_influencer, clients))
    nets = ipv4_strings(sample_ipv4(rng, dict(ctx.scenario.traffic.isps), sc.farm_subnets))
    prefixes = np.array([s.rsplit(".", 1)[0] for s in nets], dtype=object)
    pool = rng.choice(len(ctx.agents), size=sc.farm_user_agents, replace=True)
    # Shifts of a few hundred clicks each, one click every `interval` seconds (±3 %).
    shift = 300
    shifts = -(-n // shift)
    start = plan.clock.uniform(rng, shifts, diurnal=False)
    step = sc.farm_interval_seconds * SECOND_US
    k = np.arange(n)
    t = start[k // shift] + ((k % shift) * step * rng.uniform(0.97, 1.03, n)).astype(np.int64)
    t = np.minimum(t, plan.clock.end_us - 1)
    host = rng.integers(2, 254, n).astype(str).astype(object)
    ip = prefixes[rng.integers(0, prefixes.size, n)] + "." + host
    agent = pool[rng.integers(0, pool.size, n)]
    visitor = visitor_ids(rng, n)
    visitor[rng.random(n) < 0.5] = None
    return make(
        n,
        t=t,
        link=links[rng.integers(0, links.size, n)],
        ip=ip,
        agent=ctx.agent_ids[agent],
        headers=ctx.nav_headers[agent, 0],
        referer=ctx.no_referer,
        language=ctx.languages(n),
        visitor=visitor,
        kind=ctx.kind("click_farm"),
        reason=Reason.CLICK_FARM,
    )


def headless(ctx: Context, n: int) -> Batch:
    """Automated browsers on residential proxies: HeadlessChrome, and Chrome user agents whose
    client hints contradict them (a Linux platform under a Windows user agent)."""
    rng = ctx.rng
    half = n // 2
    honest_headless = {
        "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "sec-ch-ua": '"HeadlessChrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
        "sec-ch-ua-mobile": "?0",
        "sec-ch-ua-platform": '"Linux"',
        "sec-fetch-dest": "document",
        "sec-fetch-mode": "navigate",
        "sec-fetch-site": "none",
        "sec-fetch-user": "?1",
    }
    win = next(a for a in ctx.agents if a.key == "desktop_chrome_win")
    liar = navigation_headers(win)
    liar["sec-ch-ua-platform"] = '"Linux"'
    liar["sec-ch-ua"] = '"Chromium";v="119", "Not?A_Brand";v="24"'
    agent = np.where(
        np.arange(n) < half, ctx.tables.agents.id(HEADLESS), ctx.tables.agents.id(win.user_agent)
    )
    headers = np.where(
        np.arange(n) < half,
        ctx.tables.headers.id(honest_headless),
        ctx.tables.headers.id(liar),
    )
    visitor = visitor_ids(rng, n)
    return make(
        n,
        t=ctx.plan.clock.uniform(rng, n),
        link=rng.integers(0, len(ctx.plan.link_codes), n),
        ip=ctx.home_ips(n),
        agent=agent,
        headers=headers,
        referer=ctx.no_referer,
        language=ctx.languages(n),
        visitor=visitor,
        kind=ctx.kind("headless"),
        reason=Reason.AUTOMATION,
    )
