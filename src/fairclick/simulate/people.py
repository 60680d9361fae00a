"""The generation context shared by the generators: the random generator, the world plan and
vectorised draws of people (device, app, referrer, language, address, cookie)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from fairclick.simulate.agents import (
    ACCEPT_LANGUAGES,
    BROWSERS,
    IN_APP,
    IN_APP_SHARE,
    REFERERS,
    Agent,
    all_browser_agents,
    navigation_headers,
)
from fairclick.simulate.events import Tables, visitor_ids
from fairclick.simulate.network import ipv4_strings, sample_ipv4, sample_ipv6
from fairclick.simulate.scenario import Scenario
from fairclick.simulate.world import Plan


@dataclass(slots=True)
class People:
    """Per-event client attributes, as interned ids and strings."""

    agent: np.ndarray  # index into Context.agents
    agent_id: np.ndarray
    headers: np.ndarray
    referer: np.ndarray
    language: np.ndarray
    ip: np.ndarray
    visitor: np.ndarray


class Context:
    """What every generator needs; draws are vectorised over events."""

    def __init__(self, scenario: Scenario, plan: Plan, rng: np.random.Generator) -> None:
        self.scenario, self.plan, self.rng = scenario, plan, rng
        self.tables = Tables.new()
        self.agents: list[Agent] = [
            _localise(a, scenario.influencers.country) for a in all_browser_agents()
        ]
        self.agent_ids = np.array([self.tables.agents.id(a.user_agent) for a in self.agents])
        self.nav_headers = np.array(
            [
                [self.tables.headers.id(navigation_headers(a, referer=r)) for r in (False, True)]
                for a in self.agents
            ]
        )
        self.cookies = np.array([a.cookies for a in self.agents])
        self.no_referer = self.tables.referers.id(None)
        self.no_language = self.tables.languages.id(None)
        langs = ACCEPT_LANGUAGES.get(scenario.influencers.country, ACCEPT_LANGUAGES["FR"])
        self.language_ids = np.array([self.tables.languages.id(v) for v, _ in langs])
        self.language_p = _norm([p for _, p in langs])
        self.link_network = np.array(plan.link_network)
        self.networks = sorted(set(plan.link_network))
        self._agent_p: dict[str, np.ndarray] = {}
        self._ref: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        browser_keys = {a.key for a, _ in BROWSERS}
        for network in self.networks:
            p = np.zeros(len(self.agents))
            in_app = IN_APP_SHARE.get(network, 0.0)
            for agent, share in BROWSERS:
                p[self._index(agent.key)] += (1 - in_app) * share
            for agent, share in IN_APP.get(network, ()):
                p[self._index(agent.key)] += in_app * share
            self._agent_p[network] = _norm(p)
            refs = REFERERS.get(network, ((None, 1.0),))
            self._ref[network] = (
                np.array([self.tables.referers.id(r) for r, _ in refs]),
                _norm([s for _, s in refs]),
            )
        self.browser_index = np.array([self._index(k) for k in sorted(browser_keys)])
        # Sessions in the world name their browser by its index in BROWSERS.
        self.session_agent = np.array([self._index(a.key) for a, _ in BROWSERS])

    def _index(self, key: str) -> int:
        return next(i for i, a in enumerate(self.agents) if a.key == key)

    def kind(self, name: str) -> int:
        return self.tables.kinds.id(name)

    def languages(self, n: int) -> np.ndarray:
        return self.language_ids[self.rng.choice(len(self.language_ids), size=n, p=self.language_p)]

    def home_ips(self, n: int, pools: dict[str, float] | None = None) -> np.ndarray:
        """`n` addresses of the target country's ISPs (a share of them IPv6)."""
        pools = pools or dict(self.scenario.traffic.isps)
        ips = ipv4_strings(sample_ipv4(self.rng, pools, n))
        v6 = np.flatnonzero(self.rng.random(n) < self.scenario.traffic.ipv6_share)
        if v6.size:
            six = sample_ipv6(self.rng, pools, v6.size)
            if six:
                ips[v6] = np.array(six, dtype=object)
        return ips

    def people(self, links: np.ndarray) -> People:
        """One new person per event, clicking `links` from those links' networks."""
        n = links.shape[0]
        agent = np.empty(n, dtype=np.int64)
        referer = np.empty(n, dtype=np.int64)
        nets = self.link_network[links]
        for network in self.networks:
            idx = np.flatnonzero(nets == network)
            if idx.size == 0:
                continue
            agent[idx] = self.rng.choice(len(self.agents), size=idx.size, p=self._agent_p[network])
            ids, p = self._ref[network]
            referer[idx] = ids[self.rng.choice(len(ids), size=idx.size, p=p)]
        has_ref = referer != self.no_referer
        visitor = visitor_ids(self.rng, n)
        visitor[~self.cookies[agent]] = None
        return People(
            agent=agent,
            agent_id=self.agent_ids[agent],
            headers=self.nav_headers[agent, has_ref.astype(int)],
            referer=referer,
            language=self.languages(n),
            ip=self.home_ips(n),
            visitor=visitor,
        )

    def post_links(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Indices of links that carry a post (optionally also satisfying `mask`)."""
        has_post = self.plan.link_posted >= 0
        return np.flatnonzero(has_post if mask is None else has_post & mask)

    def reach(self, links: np.ndarray) -> np.ndarray:
        """Followers of each link's influencer."""
        return self.plan.followers[self.plan.link_influencer[links]].astype(float)

    def half_life(self, links: np.ndarray) -> np.ndarray:
        table = {n.value: h for n, h in self.scenario.traffic.half_life_hours.items()}
        return np.array([table.get(net, 6.0) for net in self.networks])[
            np.searchsorted(self.networks, self.link_network[links])
        ]


def _localise(agent: Agent, country: str) -> Agent:
    """In-app user agents carry the phone's locale; make it the audience's."""
    lang = {"DE": "de", "ES": "es", "IT": "it", "GB": "en"}.get(country)
    if lang is None:
        return agent
    ua = agent.user_agent.replace("fr_FR", f"{lang}_{country}").replace(
        "FBLC/fr_FR", f"FBLC/{lang}_{country}"
    )
    ua = ua.replace("; fr;", f"; {lang};").replace("ByteLocale/fr", f"ByteLocale/{lang}")
    return replace(agent, user_agent=ua.replace("Region/FR", f"Region/{country}"))


def _norm(p: list[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(p, dtype=float)
    return arr / arr.sum()
