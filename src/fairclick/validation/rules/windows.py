"""Rules over recent state (event-time windows): preview timing and fan-out, duplicate, velocity.

They walk the batch in event-time order over a `StateView` (the batch's snapshot of recent state
plus what earlier clicks of the batch wrote), so splitting a log into batches of any size gives
the same verdicts. The engine loads the snapshot before and commits the writes after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fairclick.validation.context import ValidationContext
from fairclick.validation.enrich.batch import EnrichedBatch
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
FANOUT_WINDOW = 60
FANOUT_MIN = 10  # fediverse fetches of one link in a minute that make a fan-out
FEDIVERSE = {"Mastodon", "Pleroma/Akkoma", "Misskey", "GoToSocial", "Friendica", "Pixelfed",
             "Lemmy"}
_EPOCH_OFFSET_S = 946_684_800  # 2000-01-01 in Unix seconds: state expiry counts from there


@dataclass(frozen=True, slots=True)
class VelocityLimits:
    """Clicks allowed per source in 60 s and in 1 h before `velocity` fires (more than the
    limit is a hit). Defaults: a person clicks a few links a minute at most."""

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


def keys_for(batch: EnrichedBatch, i: int) -> list[int]:
    """Every state key click i may read (loaded in one call before the batch runs)."""
    scope, prefix = batch.scope[i], batch.parsed_ip[i].prefix if batch.parsed_ip[i] else ""
    keys = [
        state_key("pv", scope),
        state_key("fo", scope),
        state_key("dd", scope, batch.visitor_key[i]),
        state_key("dd", scope, batch.alt_key[i]),
        state_key("vv", batch.visitor_key[i]),
    ]
    if batch.ip_hash[i]:
        keys += [state_key("vi", batch.ip_hash[i]), state_key("vs", prefix)]
    return keys


def _bump(view: StateView, key: int, ts_us: int, windows: tuple[int, int]) -> tuple[float, float]:
    """Count one event in both sliding windows; returns the estimated counts including it.
    Two-bucket sliding window: previous bucket weighted by the part still inside the window."""
    now_s = state_seconds(ts_us)
    raw = view.get(key, now_s)
    counters = unpack_counters(raw) if raw else ((-1, 0, 0), (-1, 0, 0))
    out, estimates = [], []
    for (bucket, cur, prev), width in zip(counters, windows, strict=True):
        b = now_s // width
        if bucket == b:
            cur += 1
        elif bucket == b - 1:
            prev, cur = cur, 1
        else:
            prev, cur = 0, 1
        into = (ts_us - (b * width + _EPOCH_OFFSET_S) * US) / (width * US)
        into = min(max(into, 0.0), 1.0)
        estimates.append(prev * (1.0 - into) + cur)
        out.append((b, cur, prev))
    view.put(key, now_s + 2 * max(windows) + 1, pack_counters(out[0], out[1]))
    return estimates[0], estimates[1]


def preview_timing(batch: EnrichedBatch, ctx: ValidationContext, view: StateView,
                   hits: Hits) -> Hits:
    """Strengthen or add `link_preview` hits from timing: a browser-UA fetch missing browser
    headers within 10 s after a preview of the same link, and browser-UA fetches from hosting
    networks during a fediverse fan-out (many instances fetching one link within a minute)."""
    out = dict(hits)
    for i in range(len(batch)):
        ts, scope = batch.ts_us[i], batch.scope[i]
        now_s = state_seconds(ts)
        pv_key, fo_key = state_key("pv", scope), state_key("fo", scope)
        hit = out.get(i)
        if hit is not None and batch.ua[i].bot_name in FEDIVERSE:
            fanout = _bump(view, fo_key, ts, (FANOUT_WINDOW, FANOUT_WINDOW))[0]
            out[i] = Hit(hit.strength, {**hit.evidence, "fanout_requests_60s": round(fanout, 1)})
        elif hit is None and batch.ua[i].category == "browser" and batch.hosting[i] is not None:
            raw = view.get(fo_key, now_s)
            if raw:
                (bucket, cur, prev), _ = unpack_counters(raw)
                if bucket >= now_s // FANOUT_WINDOW - 1 and cur + prev >= FANOUT_MIN:
                    out[i] = Hit("strong", {"signal": "browser UA from a hosting network "
                                            "during a fediverse fan-out",
                                            "fanout_requests_60s": cur + prev,
                                            "asn": batch.ip_info[i].asn})
        hit = out.get(i)
        last = view.get(pv_key, now_s)
        if hit is not None and hit.strength == "weak" and last is not None:
            prev_ts, prev_id = unpack_first(last)
            if 0 <= ts - prev_ts <= PREVIEW_FOLLOW_US:
                out[i] = Hit("strong", {**hit.evidence,
                                        "follows_preview": prev_id,
                                        "seconds_after": round((ts - prev_ts) / US, 3)})
        elif hit is None and last is not None and batch.ua[i].category == "browser":
            prev_ts, prev_id = unpack_first(last)
            if 0 <= ts - prev_ts <= PREVIEW_FOLLOW_US and missing_browser_headers(batch, i, ctx):
                out[i] = Hit("strong", {"signal": "no browser headers right after a preview",
                                        "follows_preview": prev_id,
                                        "seconds_after": round((ts - prev_ts) / US, 3)})
        hit = out.get(i)
        if hit is not None and hit.strength != "weak":
            view.put(pv_key, now_s + PREVIEW_FOLLOW_US // US + 2,
                     pack_first(ts, batch.clicks[i].click_id))
    return out


def duplicate(batch: EnrichedBatch, ctx: ValidationContext, view: StateView,
              invalid: list[bool]) -> Hits:
    """Same visitor (cookie key, or IP hash + UA for cookie-less repeats) on the same link (or
    URL path in an audit) inside the campaign's dedupe window, counted from the first click
    that was not already invalid."""
    hits: Hits = {}
    for i in range(len(batch)):
        if invalid[i]:
            continue
        ts, scope = batch.ts_us[i], batch.scope[i]
        now_s = state_seconds(ts)
        window = ctx.policy_for(batch.clicks[i].campaign_id).dedupe_window
        window_us = window // timedelta(microseconds=1)
        keys = [("visitor", state_key("dd", scope, batch.visitor_key[i]))]
        if batch.alt_key[i] != batch.visitor_key[i] and batch.ip_hash[i]:
            keys.append(("ip+user agent", state_key("dd", scope, batch.alt_key[i])))
        for matched_on, key in keys:
            raw = view.get(key, now_s)
            if raw is None:
                continue
            first_ts, first_id = unpack_first(raw)
            if 0 <= ts - first_ts < window_us:
                hits[i] = Hit("certain", {
                    "first_click_id": first_id,
                    "first_ts_us": first_ts,
                    "seconds_since_first": round((ts - first_ts) / US, 3),
                    "window_hours": round(window / timedelta(hours=1), 3),
                    "matched_on": matched_on,
                })
                break
        if i not in hits:
            expires = state_seconds(ts + window_us) + 1
            value = pack_first(ts, batch.clicks[i].click_id)
            for _, key in keys:
                view.put(key, expires, value)
    return hits


def velocity(batch: EnrichedBatch, ctx: ValidationContext, view: StateView,
             invalid: list[bool], limits: VelocityLimits) -> Hits:
    """More clicks than a person makes from one visitor, IP or /24-/48 subnet in sliding
    windows of 60 s and 1 h (every click that is not already invalid is counted)."""
    hits: Hits = {}
    for i in range(len(batch)):
        if invalid[i]:
            continue
        ts = batch.ts_us[i]
        sources = [("visitor", state_key("vv", batch.visitor_key[i]), limits.visitor, "strong")]
        if batch.ip_hash[i]:
            prefix = batch.parsed_ip[i].prefix if batch.parsed_ip[i] else ""
            sources.append(("ip", state_key("vi", batch.ip_hash[i]), limits.ip, "strong"))
            sources.append(("subnet", state_key("vs", prefix), limits.subnet, "weak"))
        found = []
        for kind, key, limit, strength in sources:
            counts = _bump(view, key, ts, limits.windows)
            for count, lim, width in zip(counts, limit, limits.windows, strict=True):
                if count > lim:
                    found.append((strength, {"source": kind, "window_seconds": width,
                                             "clicks": round(count, 1), "limit": lim}))
        if found:
            strength = "strong" if any(s == "strong" for s, _ in found) else "weak"
            hits[i] = Hit(strength, {"exceeded": [e for _, e in found]})
    return hits
