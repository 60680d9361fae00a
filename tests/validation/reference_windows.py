"""Reference oracle: the window rules (preview timing, duplicate, velocity) and the engine's
window path as they were before they were vectorised (commit e29a067), one click at a time over
a dict of entries. Kept verbatim so that property tests can check that the vectorised rules give
the same hits and evidence; not used by the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fairclick.domain.click import ClickEvent
from fairclick.domain.reasons import Reason
from fairclick.validation.context import ValidationContext
from fairclick.validation.decide import Outcomes
from fairclick.validation.decisions import ClickDecision
from fairclick.validation.engine import _YIELDS, PIPELINE, PLATFORM_RULES, REQUEST_RULES, Validator
from fairclick.validation.enrich.batch import EnrichedBatch, enrich
from fairclick.validation.rules.request import Hit, Hits, missing_browser_headers
from fairclick.validation.state.base import Entry, state_key
from fairclick.validation.state.codec import (
    pack_counters,
    pack_first,
    unpack_counters,
    unpack_first,
)

US = 1_000_000
PREVIEW_FOLLOW_US = 10 * US  # browser-UA fetches this soon after a preview belong to it
FANOUT_WINDOWS = (60, 60)
FANOUT_MIN = 10  # fediverse fetches of one link within about a minute that make a fan-out
FEDIVERSE = {
    "Mastodon",
    "Pleroma/Akkoma",
    "Misskey",
    "GoToSocial",
    "Friendica",
    "Pixelfed",
    "Lemmy",
}
_EPOCH_OFFSET_S = 946_684_800  # 2000-01-01 in Unix seconds: state expiry counts from there
_MASK = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15


@dataclass(frozen=True, slots=True)
class VelocityLimits:
    """Clicks allowed per source in the two windows (60 s, 1 h) before `velocity` fires (more
    than the limit is a hit). Visitor and IP hits are strong evidence, subnet hits weak (a
    /24 or /48 may be a campus or a mobile carrier's NAT)."""

    visitor: tuple[int, int] = (5, 30)
    ip: tuple[int, int] = (5, 30)
    subnet: tuple[int, int] = (30, 200)
    windows: tuple[int, int] = (60, 3600)


class StateView:
    """The batch's snapshot of recent state plus its own writes (committed by the engine)."""

    def __init__(self, entries: dict[int, Entry | None]) -> None:
        self._data = entries
        self.dirty: dict[int, Entry] = {}

    def get(self, key: int, now_s: int) -> bytes | None:
        """The value of `key` unless absent or expired at event time `now_s`."""
        entry = self._data.get(key)
        if entry is None or entry[0] <= now_s:
            return None
        return entry[1]

    def put(self, key: int, expires_s: int, value: bytes) -> None:
        """Write `key` (visible to later clicks of the batch, committed after it)."""
        self._data[key] = (expires_s, value)
        self.dirty[key] = (expires_s, value)


def state_seconds(ts_us: int) -> int:
    """Event time in state seconds (since 2000-01-01)."""
    return ts_us // US - _EPOCH_OFFSET_S


@dataclass(frozen=True, slots=True)
class ClickKeys:
    """The state keys of one click: preview timing and fan-out of its link, dedupe by visitor
    and by IP+UA, velocity by visitor, IP and subnet (0 when the click has no IP)."""

    preview: int
    fanout: int
    dedupe_visitor: int
    dedupe_alt: int
    rate_visitor: int
    rate_ip: int
    rate_subnet: int

    def all(self) -> tuple[int, ...]:
        """Every non-zero key."""
        return tuple(
            k
            for k in (
                self.preview,
                self.fanout,
                self.dedupe_visitor,
                self.dedupe_alt,
                self.rate_visitor,
                self.rate_ip,
                self.rate_subnet,
            )
            if k
        )


_KINDS = {name: state_key("kind", name) for name in ("pv", "fo", "dd", "vv", "vi", "vs")}


def _hex_key(text: str, skip: int) -> int:
    # The keyed IP hash and the cookie-less visitor key are already uniform hex digests: their
    # first 64 bits are a key as good as a second hash of them, at a fraction of the cost.
    return int(text[skip : skip + 16], 16) or 1


def click_keys(batch: EnrichedBatch, memo: dict[str, int] | None = None) -> list[ClickKeys]:
    """The keys of every click: each distinct string hashed once (stable across processes),
    then mixed with the key kind. `memo` (string → hash) may be kept across batches."""
    if memo is None:
        memo = {}

    def h(text: str) -> int:
        found = memo.get(text)
        if found is None:
            if text.startswith("h:") and len(text) == 34:
                found = _hex_key(text, 2)
            else:
                found = state_key("s", text)
            memo[text] = found
        return found

    pv, fo, dd, vv, vi, vs = (_KINDS[k] for k in ("pv", "fo", "dd", "vv", "vi", "vs"))
    out = []
    for i in range(len(batch)):
        # Each key is (a * _MIX mod 2^64) ^ b ^ kind, never 0.
        scope = (h(batch.scope[i]) * _MIX) & _MASK
        visitor, alt = h(batch.visitor_key[i]), h(batch.alt_key[i])
        parsed = batch.parsed(i)
        ip_text = batch.hashed(i)
        ip = _hex_key(ip_text, 0) if ip_text else 0
        out.append(
            ClickKeys(
                (scope ^ pv) or 1,
                (scope ^ fo) or 1,
                (scope ^ visitor ^ dd) or 1,
                (scope ^ alt ^ dd) or 1,
                (((visitor * _MIX) & _MASK) ^ vv) or 1,
                ((((ip * _MIX) & _MASK) ^ vi) or 1) if ip else 0,
                ((((h(parsed.prefix) * _MIX) & _MASK) ^ vs) or 1) if parsed is not None else 0,
            )
        )
    return out


def _bump_one(counter: list[int], now_s: int, ts_us: int, width: int) -> float:
    bucket = now_s // width
    if counter[0] == bucket:
        counter[1] += 1
    elif counter[0] == bucket - 1:
        counter[0], counter[1], counter[2] = bucket, 1, counter[1]
    else:
        counter[0], counter[1], counter[2] = bucket, 1, 0
    if not counter[2]:
        return float(counter[1])
    into = (ts_us - (bucket * width + _EPOCH_OFFSET_S) * US) / (width * US)
    return counter[2] * (1.0 - min(max(into, 0.0), 1.0)) + counter[1]


class Counters:
    """Sliding-window counters, decoded once per batch and encoded once at its end."""

    def __init__(self, view: StateView, windows: tuple[int, int]) -> None:
        self.view, self.windows = view, windows
        self.decoded: dict[int, list[list[int]]] = {}
        self.expires: dict[int, int] = {}
        self.keep = 2 * max(windows) + 1

    def _get(self, key: int, now_s: int) -> list[list[int]]:
        counters = self.decoded.get(key)
        if counters is None:
            raw = self.view.get(key, now_s)
            if raw:
                a, b = unpack_counters(raw)
                counters = [list(a), list(b)]
            else:
                counters = [[-1, 0, 0], [-1, 0, 0]]
            self.decoded[key] = counters
        return counters

    def bump(self, key: int, ts_us: int) -> tuple[float, float]:
        """Count one event in both windows; the estimated counts including it. Two-bucket
        sliding window: the previous bucket weighted by the part still inside the window."""
        now_s = ts_us // US - _EPOCH_OFFSET_S
        pair = self.decoded.get(key) or self._get(key, now_s)
        w1, w2 = self.windows
        first = _bump_one(pair[0], now_s, ts_us, w1)
        second = _bump_one(pair[1], now_s, ts_us, w2)
        self.expires[key] = now_s + self.keep
        return first, second

    def recent(self, key: int, ts_us: int) -> int:
        """Events in the current and previous bucket of the first window (no update)."""
        now_s = state_seconds(ts_us)
        bucket, cur, prev = self._get(key, now_s)[0]
        current = now_s // self.windows[0]
        if bucket == current:
            return cur + prev
        return cur if bucket == current - 1 else 0

    def flush(self) -> None:
        """Write every counter that was bumped back to the view."""
        for key, expires in self.expires.items():
            a, b = self.decoded[key]
            self.view.put(key, expires, pack_counters((a[0], a[1], a[2]), (b[0], b[1], b[2])))


def preview_timing(
    batch: EnrichedBatch, ctx: ValidationContext, view: StateView, keys: list[ClickKeys], hits: Hits
) -> Hits:
    """Strengthen or add `link_preview` hits from timing: a browser-UA fetch missing browser
    headers within 10 s after a preview of the same link, and browser-UA fetches from hosting
    networks during a fediverse fan-out (many instances fetching one link within a minute)."""
    out = dict(hits)
    fanout = Counters(view, FANOUT_WINDOWS)
    for i in range(len(batch)):
        ts, ua = batch.ts_us[i], batch.agent(i)
        hit = out.get(i)
        if hit is None and ua.category != "browser":
            continue
        now_s = state_seconds(ts)
        if hit is not None and ua.bot_name in FEDIVERSE:
            count = fanout.bump(keys[i].fanout, ts)[0]
            out[i] = hit = Hit(
                hit.strength, {**hit.evidence, "fanout_requests_60s": round(count, 1)}
            )
        elif hit is None and batch.hosted(i) is not None:
            count = fanout.recent(keys[i].fanout, ts)
            if count >= FANOUT_MIN:
                out[i] = hit = Hit(
                    "strong",
                    {
                        "signal": "browser UA from a hosting network during a fediverse fan-out",
                        "fanout_requests_60s": count,
                        "asn": batch.info(i).asn,
                    },
                )
        last = view.get(keys[i].preview, now_s)
        if last is not None and (hit is None or hit.strength == "weak"):
            prev_ts, prev_id = unpack_first(last)
            close = 0 <= ts - prev_ts <= PREVIEW_FOLLOW_US
            if close and (hit is not None or missing_browser_headers(batch, i, ctx)):
                base = (
                    hit.evidence
                    if hit is not None
                    else {"signal": "no browser headers right after a preview"}
                )
                out[i] = hit = Hit(
                    "strong",
                    {
                        **base,
                        "follows_preview": prev_id,
                        "seconds_after": round((ts - prev_ts) / US, 3),
                    },
                )
        if hit is not None and hit.strength != "weak":
            view.put(
                keys[i].preview,
                now_s + PREVIEW_FOLLOW_US // US + 2,
                pack_first(ts, batch.clicks[i].click_id),
            )
    fanout.flush()
    return out


def duplicate(
    batch: EnrichedBatch,
    ctx: ValidationContext,
    view: StateView,
    keys: list[ClickKeys],
    invalid: list[bool],
) -> Hits:
    """Same visitor (cookie key, or IP hash + UA for cookie-less repeats) on the same link (or
    URL path in an audit) inside the campaign's dedupe window, counted from the first click
    that was not already invalid."""
    hits: Hits = {}
    windows: dict[int | None, timedelta] = {}
    for i in range(len(batch)):
        if invalid[i]:
            continue
        ts = batch.ts_us[i]
        now_s = state_seconds(ts)
        campaign = batch.clicks[i].campaign_id
        window = windows.get(campaign)
        if window is None:
            window = windows[campaign] = ctx.policy_for(campaign).dedupe_window
        window_us = window // timedelta(microseconds=1)
        own = "visitor cookie" if batch.visitor_key[i].startswith("v:") else "ip+user agent"
        candidates = [(own, keys[i].dedupe_visitor)]
        if keys[i].dedupe_alt != keys[i].dedupe_visitor and batch.hashed(i):
            candidates.append(("ip+user agent", keys[i].dedupe_alt))
        for matched_on, key in candidates:
            raw = view.get(key, now_s)
            if raw is None:
                continue
            first_ts, first_id = unpack_first(raw)
            if 0 <= ts - first_ts < window_us:
                hits[i] = Hit(
                    "certain",
                    {
                        "first_click_id": first_id,
                        "first_ts_us": first_ts,
                        "seconds_since_first": round((ts - first_ts) / US, 3),
                        "window_hours": round(window / timedelta(hours=1), 3),
                        "matched_on": matched_on,
                    },
                )
                break
        else:
            expires = state_seconds(ts + window_us) + 1
            value = pack_first(ts, batch.clicks[i].click_id)
            for _, key in candidates:
                view.put(key, expires, value)
    return hits


def velocity(
    batch: EnrichedBatch,
    ctx: ValidationContext,
    view: StateView,
    keys: list[ClickKeys],
    invalid: list[bool],
    limits: VelocityLimits,
) -> Hits:
    """More clicks than a person makes from one visitor, IP or /24-/48 subnet in sliding
    windows of 60 s and 1 h (every click that is not already invalid is counted)."""
    hits: Hits = {}
    counters = Counters(view, limits.windows)
    w1, w2 = limits.windows
    sources = (
        ("visitor", limits.visitor, True),
        ("ip", limits.ip, True),
        ("subnet", limits.subnet, False),
    )
    bump, ts_us = counters.bump, batch.ts_us
    for i in range(len(batch)):
        if invalid[i]:
            continue
        ts, k = ts_us[i], keys[i]
        found = []
        strong = False
        for (kind, (lim1, lim2), is_strong), key in zip(
            sources, (k.rate_visitor, k.rate_ip, k.rate_subnet), strict=True
        ):
            if not key:
                continue
            c1, c2 = bump(key, ts)
            if c1 > lim1:
                found.append(
                    {"source": kind, "window_seconds": w1, "clicks": round(c1, 1), "limit": lim1}
                )
                strong = strong or is_strong
            if c2 > lim2:
                found.append(
                    {"source": kind, "window_seconds": w2, "clicks": round(c2, 1), "limit": lim2}
                )
                strong = strong or is_strong
        if found:
            hits[i] = Hit("strong" if strong else "weak", {"exceeded": found})
    counters.flush()
    return hits


class DictState:
    """The recent-state contract over a plain dict, for the oracle (no expiry drops: entries
    expired by event time are ignored by the rules anyway)."""

    def __init__(self) -> None:
        self.entries: dict[int, Entry] = {}

    def load(self, keys: Sequence[int], seq: int | None = None) -> list[Entry | None]:
        return [self.entries.get(k) for k in keys]

    def commit(
        self, entries: Sequence[tuple[int, int, bytes]], watermark: int, seq: int | None = None
    ) -> None:
        for key, expires, value in entries:
            self.entries[key] = (expires, value)

    def close(self) -> None:
        pass


class ReferenceValidator(Validator):
    """`Validator.validate` as it was at commit e29a067, over the reference window rules and a
    `DictState`: the oracle of the engine-level equivalence tests."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ref_state = DictState()
        self._ref_key_cache: dict[str, int] = {}

    def validate(
        self, clicks: Sequence[ClickEvent], context: ValidationContext
    ) -> list[ClickDecision]:
        order = sorted(range(len(clicks)), key=lambda i: (clicks[i].ts, clicks[i].click_id))
        ordered = [clicks[i] for i in order]
        batch = enrich(
            ordered,
            ranges=self.ranges,
            classifier=self.classifier,
            hosting=self.hosting,
            secret_key=self.secret_key,
            platform=context.platform,
            ip_cache=self._ip_cache,
        )
        n = len(batch)
        policies = [context.policy_for(c.campaign_id) for c in ordered]
        allowed = [
            p.allows(batch.ip_address(i), c.user_agent)
            if (p.allow_cidrs or p.allow_ua_substrings)
            else None
            for i, (p, c) in enumerate(zip(policies, ordered, strict=True))
        ]
        results: dict[Reason, Hits] = {}
        for reason, rule in REQUEST_RULES:
            if reason in PLATFORM_RULES and not context.platform:
                continue
            hits = rule(batch, context)
            yielded = _YIELDS.get(reason)
            if yielded is not None:
                hits = {i: h for i, h in hits.items() if i not in results.get(yielded, {})}
            results[reason] = hits

        keys = click_keys(batch, self._ref_key_cache)
        wanted = list({k for ck in keys for k in ck.all()})
        loaded = self.ref_state.load(wanted, context.batch_seq)
        view = StateView({k: e for k, e in zip(wanted, loaded, strict=True) if e is not None})
        results[Reason.LINK_PREVIEW] = preview_timing(
            batch, context, view, keys, results[Reason.LINK_PREVIEW]
        )
        invalid = [False] * n
        for hits in results.values():  # only the clicks some rule hit can be invalid
            for i, hit in hits.items():
                if allowed[i] is None and policies[i].strictness.invalidates(hit.strength):
                    invalid[i] = True
        results[Reason.DUPLICATE] = duplicate(batch, context, view, keys, invalid)
        for i in results[Reason.DUPLICATE]:
            invalid[i] = invalid[i] or allowed[i] is None
        results[Reason.VELOCITY] = velocity(batch, context, view, keys, invalid, self.velocity)
        watermark = state_seconds(batch.ts_us[-1]) if n else 0
        self.ref_state.commit(
            [(k, e, v) for k, (e, v) in view.dirty.items()], watermark, context.batch_seq
        )
        outcomes = Outcomes(PIPELINE, policies, allowed)
        for reason, hits in results.items():
            outcomes.add(reason, hits)
        decisions = self._decisions.build(batch, results, outcomes, allowed)
        by_input: list[ClickDecision] = [None] * n  # type: ignore[list-item]
        for position, original in enumerate(order):
            by_input[original] = decisions[position]
        return by_input
