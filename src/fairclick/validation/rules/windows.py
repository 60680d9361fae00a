"""Rules over recent state (event-time windows): preview timing and fan-out, duplicate, velocity.

Their meaning is per click, in event-time order, over the batch's snapshot of recent state plus
what earlier clicks of the batch wrote, so splitting a log into batches of any size gives the
same verdicts. The engine loads the snapshot before and commits the writes after.

They run over columns (ADR 0405): state keys are uint64 arrays, the snapshot is arrays, velocity
counts every click with numpy, and duplicate and preview timing walk one at a time only the few
clicks whose keys repeat in the batch or are found in state. `tests/validation/
reference_windows.py` keeps the per-click version they are tested against.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np

from fairclick.validation.context import ValidationContext
from fairclick.validation.enrich.batch import EnrichedBatch
from fairclick.validation.rules.request import Hit, Hits, missing_browser_headers
from fairclick.validation.state.base import (
    VALUE_SIZE,
    Columns,
    Entry,
    contains,
    sorted_distinct,
    state_key,
)
from fairclick.validation.state.codec import (
    pack_click_ids,
    pack_counters,
    pack_counters_columns,
    pack_firsts,
    stored_click_id,
    unpack_counters,
    unpack_counters_columns,
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
_MIX = np.uint64(0x9E3779B97F4A7C15)


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


_KINDS = {name: state_key("kind", name) for name in ("pv", "fo", "dd", "vv", "vi", "vs")}


def _string_key(text: str) -> int:
    # The cookie-less visitor key (`h:` + 32 hex) is already a uniform digest: its first 64
    # bits are a key as good as a second hash of it, at a fraction of the cost.
    if text.startswith("h:") and len(text) == 34:
        return int(text[2:18], 16) or 1
    return state_key("s", text)


class _StringKeys(dict[str, int]):
    def __missing__(self, text: str) -> int:
        key = self[text] = _string_key(text)
        return key


class _IpKeys(dict[str, int]):
    # The keyed IP hash (32 hex) is a digest too; "" (no address) has no key.
    def __missing__(self, text: str) -> int:
        key = self[text] = (int(text[:16], 16) or 1) if text else 0
        return key


class KeyMemo:
    """String → 64-bit hash, kept across batches (returning visitors, busy links and subnets);
    pure functions of the string, so keeping them cannot change a verdict."""

    def __init__(self) -> None:
        self.strings = _StringKeys()
        self.ips = _IpKeys()

    def __len__(self) -> int:
        return len(self.strings) + len(self.ips)

    def clear(self) -> None:
        """Forget every hash."""
        self.strings.clear()
        self.ips.clear()


@dataclass(frozen=True, slots=True)
class KeyColumns:
    """Per click (row i = click i of the batch): event time in µs and in state seconds, and the
    state keys as uint64 columns: preview timing and fan-out of its link, dedupe by visitor and
    by IP+UA, velocity by visitor, IP and subnet (0 when the click has no IP)."""

    ts_us: np.ndarray
    now_s: np.ndarray
    has_ip: np.ndarray
    preview: np.ndarray
    fanout: np.ndarray
    dedupe_visitor: np.ndarray
    dedupe_alt: np.ndarray
    rate_visitor: np.ndarray
    rate_ip: np.ndarray
    rate_subnet: np.ndarray
    # Arrays holding together the same set of keys as the seven columns, smaller: the keys of
    # each distinct address, pair or scope once (empty: use the columns).
    parts: tuple[np.ndarray, ...] = field(default=(), compare=False)

    def distinct(self) -> np.ndarray:
        """Every non-zero key of the batch, sorted, once."""
        parts = self.parts or (
            self.preview,
            self.fanout,
            self.dedupe_visitor,
            self.dedupe_alt,
            self.rate_visitor,
            self.rate_ip,
            self.rate_subnet,
        )
        every = sorted_distinct(np.concatenate(parts))
        return every[1:] if every.size and every[0] == 0 else every


_HEX_DIGIT = np.full(256, 255, np.uint8)
for _i, _c in enumerate("0123456789abcdef"):
    _HEX_DIGIT[ord(_c)] = _HEX_DIGIT[ord(_c.upper())] = _i


def _hex_keys(
    texts: list[str], lookup: Callable[[str], int], skip: int, length: int | None
) -> np.ndarray:
    """`lookup` of every text, decoded with numpy for the digests (16 hex digits after `skip`
    characters, `h:` first when `skip`, `length` long when given): their first 64 bits, which
    is what `lookup` gives them. Other texts go through `lookup`."""
    n = len(texts)
    try:
        raw = np.array(texts, dtype=f"S{skip + 16}")
    except UnicodeEncodeError:  # not ASCII: no digest here
        return np.fromiter(map(lookup, texts), np.uint64, n)
    chars = raw.view(np.uint8).reshape(n, skip + 16)
    digits = _HEX_DIGIT[chars[:, skip:]]
    ok = (digits != 255).all(axis=1)
    if skip:
        ok &= (chars[:, 0] == ord("h")) & (chars[:, 1] == ord(":"))
    if length is not None:
        ok &= np.fromiter(map(len, texts), np.int64, n) == length
    keys = ((digits[:, 0::2] << 4) | digits[:, 1::2]).view(">u8").reshape(n).astype(np.uint64)
    keys[keys == 0] = 1
    others = np.flatnonzero(~ok)
    if others.size:
        rest = map(texts.__getitem__, others.tolist())
        keys[others] = np.fromiter(map(lookup, rest), np.uint64, others.size)
    return keys


def _mixed(values: np.ndarray, kind: str) -> np.ndarray:
    mixed = (values * _MIX) ^ np.uint64(_KINDS[kind])
    mixed[mixed == 0] = 1  # 0 marks an empty slot
    return mixed


def click_keys(batch: EnrichedBatch, memo: KeyMemo | None = None) -> KeyColumns:
    """The keys of every click: each distinct string hashed once (stable across processes,
    `memo` may be kept across batches), then mixed with the key kind in uint64 arithmetic:
    each key is (a * _MIX mod 2^64) ^ b ^ kind, never 0."""
    memo = memo if memo is not None else KeyMemo()
    n = len(batch)
    strings = memo.strings.__getitem__

    def column(texts: Iterable[str], lookup: Callable[[str], int] = strings) -> np.ndarray:
        return np.fromiter(map(lookup, texts), np.uint64, n)

    ts_us = np.fromiter(batch.ts_us, np.int64, n)
    # Address and (address, agent) keys once per distinct value of the batch.
    addresses = batch.addresses
    k = len(addresses)
    has_prefix = np.fromiter((p is not None for p in addresses), bool, k)
    empty = strings("")
    prefix = np.fromiter(
        (strings(p.prefix) if p is not None else empty for p in addresses), np.uint64, k
    )
    ip = _hex_keys(list(batch.address_hashes), memo.ips.__getitem__, 0, None)
    alt_by_pair = _hex_keys(list(batch.pair_alts), strings, 2, 34)
    alt = batch.spread("pair", alt_by_pair)
    # The visitor key is the cookie-less one unless the click has a cookie.
    visitor = alt.copy()
    cookies = batch.visitor_key is not batch.alt_key
    if cookies:
        own = np.fromiter(map(operator.is_not, batch.visitor_key, batch.alt_key), bool, n)
        cookies = bool(own.any())
        if cookies:
            rows = np.flatnonzero(own)
            texts = [batch.visitor_key[i] for i in rows.tolist()]
            visitor[rows] = _hex_keys(texts, strings, 2, 34)
    scope = column(batch.scope) * _MIX
    rate_ip = np.where(ip != 0, _mixed(ip, "vi"), np.uint64(0))
    rate_subnet = np.where(has_prefix, _mixed(prefix, "vs"), np.uint64(0))
    dedupe_visitor = _nonzero(scope ^ visitor ^ np.uint64(_KINDS["dd"]))
    dedupe_alt = _nonzero(scope ^ alt ^ np.uint64(_KINDS["dd"])) if cookies else dedupe_visitor
    rate_visitor = _mixed(visitor, "vv") if cookies else None
    rate_alt = _mixed(alt_by_pair, "vv")  # the visitor's rate key of the cookie-less pairs
    scopes = sorted_distinct(scope)
    return KeyColumns(
        ts_us=ts_us,
        now_s=ts_us // US - _EPOCH_OFFSET_S,
        has_ip=batch.spread("ip", ip != 0),
        preview=_nonzero(scope ^ np.uint64(_KINDS["pv"])),
        fanout=_nonzero(scope ^ np.uint64(_KINDS["fo"])),
        dedupe_visitor=dedupe_visitor,
        dedupe_alt=dedupe_alt.copy() if dedupe_alt is dedupe_visitor else dedupe_alt,
        rate_visitor=rate_visitor if rate_visitor is not None else batch.spread("pair", rate_alt),
        rate_ip=batch.spread("ip", rate_ip),
        rate_subnet=batch.spread("ip", rate_subnet),
        parts=(
            _nonzero(scopes ^ np.uint64(_KINDS["pv"])),
            _nonzero(scopes ^ np.uint64(_KINDS["fo"])),
            dedupe_visitor,
            *((dedupe_alt,) if cookies else ()),
            rate_visitor if rate_visitor is not None else rate_alt,
            rate_ip,
            rate_subnet,
        ),
    )


def _nonzero(keys: np.ndarray) -> np.ndarray:
    keys[keys == 0] = 1
    return keys


class Snapshot:
    """The batch's recent state as columns (`keys` sorted and distinct, `loaded` their entries)
    and the writes of its rules, committed together after the batch."""

    def __init__(self, keys: np.ndarray, loaded: Columns) -> None:
        self.keys, self.loaded = keys, loaded
        self._writes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each key: its row in the snapshot and whether state held it (key 0: never)."""
        if not self.keys.size:
            return np.zeros(keys.size, np.int64), np.zeros(keys.size, bool)
        rows = np.minimum(np.searchsorted(self.keys, keys), self.keys.size - 1)
        return rows, self.loaded.found[rows] & (self.keys[rows] == keys)

    def live(self, keys: np.ndarray, now_s: np.ndarray) -> np.ndarray:
        """Whether state held each key unexpired at event time `now_s`."""
        rows, found = self.rows(keys)
        return found & (self.loaded.expires[rows] > now_s)

    def view(self, keys: np.ndarray) -> StateView:
        """A dict view of `keys` for rules that walk some clicks one at a time."""
        keys = sorted_distinct(keys)
        rows, found = self.rows(keys)
        rows = rows[found]
        blob = self.loaded.values[rows].tobytes()
        expires = self.loaded.expires[rows].tolist()
        return StateView(
            {
                k: (e, blob[j * VALUE_SIZE : (j + 1) * VALUE_SIZE])
                for j, (k, e) in enumerate(zip(keys[found].tolist(), expires, strict=True))
            }
        )

    def put(self, keys: np.ndarray, expires: np.ndarray, values: np.ndarray) -> None:
        """Write rows (committed after the batch)."""
        if keys.size:
            self._writes.append((keys, expires, values))

    def put_view(self, view: StateView) -> None:
        """Write what a `StateView` wrote."""
        if view.dirty:
            dirty = view.dirty
            self.put(
                np.fromiter(dirty, np.uint64, len(dirty)),
                np.fromiter((e for e, _ in dirty.values()), np.int64, len(dirty)),
                np.frombuffer(b"".join(v for _, v in dirty.values()), np.uint8).reshape(
                    -1, VALUE_SIZE
                ),
            )

    def writes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every write as (keys, expires, values) columns."""
        if not self._writes:
            return (
                np.zeros(0, np.uint64),
                np.zeros(0, np.int64),
                np.zeros((0, VALUE_SIZE), np.uint8),
            )
        keys, expires, values = zip(*self._writes, strict=True)
        return np.concatenate(keys), np.concatenate(expires), np.concatenate(values)


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
    batch: EnrichedBatch, ctx: ValidationContext, snap: Snapshot, keys: KeyColumns, hits: Hits
) -> Hits:
    """Strengthen or add `link_preview` hits from timing: a browser-UA fetch missing browser
    headers within 10 s after a preview of the same link, and browser-UA fetches from hosting
    networks during a fediverse fan-out (many instances fetching one link within a minute).

    Only clicks with a hit, browser-UA clicks from a hosting network, and browser-UA clicks
    without browser headers on a link whose preview record is in state or may be written in
    this batch can change anything: those are walked in order; the others are left as they
    are."""
    out = dict(hits)
    browser = batch.agent_mask(lambda ua: ua.category == "browser")
    writers = browser & batch.hosted_mask()
    writers[list(hits)] = True  # only a click with a hit (maybe found here) writes a record
    written = sorted_distinct(keys.preview[writers])
    live = snap.live(keys.preview, keys.now_s) | contains(written, keys.preview)
    # A browser click with no hit that writes nothing can only gain a hit by missing browser
    # headers right after a preview of its link.
    followers = [
        i
        for i in np.flatnonzero(browser & live & ~writers).tolist()
        if missing_browser_headers(batch, i, ctx)
    ]
    walk = np.flatnonzero(writers)
    if followers:
        walk = np.union1d(walk, followers)
    if not walk.size:
        return out
    view = snap.view(np.concatenate((keys.preview[walk], keys.fanout[walk])))
    fanout = Counters(view, FANOUT_WINDOWS)
    previews, fanouts = keys.preview[walk].tolist(), keys.fanout[walk].tolist()
    agents = batch.at("ua", batch.agents, walk)
    click_id = batch.columns.click_id
    # Preview records written by this walk, as (expiry, time, click): packed together after
    # it, read back as state would give them (the click id through its packing).
    recorded: dict[int, tuple[int, int, int]] = {}
    for i, preview_key, fanout_key, ua in zip(
        walk.tolist(), previews, fanouts, agents, strict=True
    ):
        ts = batch.ts_us[i]
        hit = out.get(i)
        if hit is None and ua.category != "browser":
            continue
        now_s = state_seconds(ts)
        if hit is not None and ua.bot_name in FEDIVERSE:
            count = fanout.bump(fanout_key, ts)[0]
            out[i] = hit = Hit(
                hit.strength, {**hit.evidence, "fanout_requests_60s": round(count, 1)}
            )
        elif hit is None and batch.hosted(i) is not None:
            recent = fanout.recent(fanout_key, ts)
            if recent >= FANOUT_MIN:
                out[i] = hit = Hit(
                    "strong",
                    {
                        "signal": "browser UA from a hosting network during a fediverse fan-out",
                        "fanout_requests_60s": recent,
                        "asn": batch.info(i).asn,
                    },
                )
        mine = recorded.get(preview_key)
        last = view.get(preview_key, now_s) if mine is None else None
        if (last is not None or (mine is not None and mine[0] > now_s)) and (
            hit is None or hit.strength == "weak"
        ):
            if last is not None:
                prev_ts, prev_id = unpack_first(last)
            else:
                assert mine is not None
                prev_ts, prev_id = mine[1], stored_click_id(click_id[mine[2]])
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
            recorded[preview_key] = (now_s + PREVIEW_FOLLOW_US // US + 2, ts, i)
    fanout.flush()
    snap.put_view(view)
    _put_firsts(snap, recorded, click_id)
    return out


def _put_firsts(
    snap: Snapshot, firsts: dict[int, tuple[int, int, int]], click_id: Sequence[str]
) -> None:
    """Write `firsts` ({key: (expiry in state seconds, time in µs, click)}: the first click of
    a window a walk opened) to the snapshot at once, one packing for all of them."""
    if not firsts:
        return
    entries = list(firsts.values())
    m = len(entries)
    snap.put(
        np.fromiter(firsts, np.uint64, m),
        np.fromiter((e[0] for e in entries), np.int64, m),
        pack_firsts(
            np.fromiter((e[1] for e in entries), np.int64, m),
            pack_click_ids([click_id[e[2]] for e in entries]),
        ),
    )


def duplicate(
    batch: EnrichedBatch,
    ctx: ValidationContext,
    snap: Snapshot,
    keys: KeyColumns,
    invalid: np.ndarray,
) -> Hits:
    """Same visitor (cookie key, or IP hash + UA for cookie-less repeats) on the same link (or
    URL path in an audit) inside the campaign's dedupe window, counted from the first click
    that was not already invalid.

    A click whose keys no other click of the batch has and state does not hold opens a window
    (one numpy pass for all of them); the others are walked one at a time, in order."""
    counted = np.flatnonzero(~invalid)
    if not counted.size:
        return {}
    visitor = keys.dedupe_visitor[counted]
    alt_used = (keys.dedupe_alt != keys.dedupe_visitor) & keys.has_ip
    alt = np.where(alt_used, keys.dedupe_alt, np.uint64(0))[counted]
    now_s = keys.now_s[counted]
    every = np.sort(np.concatenate((visitor, alt[alt != 0])))
    repeated = every[1:][every[1:] == every[:-1]]
    shared = contains(repeated, visitor) | snap.live(visitor, now_s)
    shared |= (alt != 0) & (contains(repeated, alt) | snap.live(alt, now_s))

    campaign_of = batch.columns.campaign_id
    distinct = set(campaign_of)
    if len(distinct) == 1:  # one campaign (or none, in an audit): one window for all
        campaigns = [next(iter(distinct))] * counted.size
    else:
        campaigns = [campaign_of[i] for i in counted.tolist()]
    windows = {c: ctx.policy_for(c).dedupe_window for c in distinct}
    window_us = {c: w // timedelta(microseconds=1) for c, w in windows.items()}
    opens = np.flatnonzero(~shared)
    if opens.size:
        rows = counted[opens]
        opened_at = keys.ts_us[rows]
        if len(distinct) == 1:
            width = np.full(opens.size, window_us[campaigns[0]], np.int64)
        else:
            width = np.fromiter((window_us[campaigns[j]] for j in opens.tolist()), np.int64)
        expires = (opened_at + width) // US - _EPOCH_OFFSET_S + 1
        click_id = batch.columns.click_id
        ids = [click_id[i] for i in rows.tolist()]
        values = pack_firsts(opened_at, pack_click_ids(ids))
        with_alt = alt[opens] != 0
        snap.put(
            np.concatenate((visitor[opens], alt[opens][with_alt])),
            np.concatenate((expires, expires[with_alt])),
            np.concatenate((values, values[with_alt])),
        )
    walked = np.flatnonzero(shared)
    if not walked.size:
        return {}
    view = snap.view(np.concatenate((visitor[walked], alt[walked])))
    get = view.get
    rows = counted[walked]
    if len(distinct) == 1:
        windows_of = [campaigns[0]] * walked.size
    else:
        windows_of = [campaigns[j] for j in walked.tolist()]
    hours = {c: round(w / timedelta(hours=1), 3) for c, w in windows.items()}
    vkeys, click_id = batch.visitor_key, batch.columns.click_id
    # A window's first click as state gives it back, decoded once for all the repeats it
    # catches: by stored value for windows in state, by click for those opened here. The
    # latter are kept as (expiry, time, click) and packed together after the walk.
    firsts: dict[bytes, tuple[int, str]] = {}
    opened: dict[int, tuple[int, int, int]] = {}
    decoded: dict[int, tuple[int, str]] = {}
    hits: Hits = {}
    for i, ts, now_s_i, visitor_j, alt_j, campaign in zip(
        rows.tolist(),
        keys.ts_us[rows].tolist(),
        keys.now_s[rows].tolist(),
        visitor[walked].tolist(),
        alt[walked].tolist(),
        windows_of,
        strict=True,
    ):
        window_w = window_us[campaign]
        own = "visitor cookie" if vkeys[i].startswith("v:") else "ip+user agent"
        candidates = ((own, visitor_j), ("ip+user agent", alt_j)) if alt_j else ((own, visitor_j),)
        for matched_on, key in candidates:
            mine = opened.get(key)
            if mine is not None:
                if mine[0] <= now_s_i:  # expired, as `StateView.get` sees it
                    continue
                first = decoded.get(mine[2])
                if first is None:
                    first = decoded[mine[2]] = (mine[1], stored_click_id(click_id[mine[2]]))
            else:
                raw = get(key, now_s_i)
                if raw is None:
                    continue
                first = firsts.get(raw)
                if first is None:
                    first = firsts[raw] = unpack_first(raw)
            first_ts, first_id = first
            if 0 <= ts - first_ts < window_w:
                hits[i] = Hit(
                    "certain",
                    {
                        "first_click_id": first_id,
                        "first_ts_us": first_ts,
                        "seconds_since_first": round((ts - first_ts) / US, 3),
                        "window_hours": hours[campaign],
                        "matched_on": matched_on,
                    },
                )
                break
        else:
            entry = ((ts + window_w) // US - _EPOCH_OFFSET_S + 1, ts, i)  # state_seconds + 1
            for _, key in candidates:
                opened[key] = entry
    _put_firsts(snap, opened, click_id)
    return hits


def _sliding(
    runs: _Runs, now_s: np.ndarray, ts_us: np.ndarray, width: int, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`_bump_one` over every entry at once. Entries are sorted by (key, time) in `runs`;
    `start` is each run's counter before the batch (bucket, current, previous). Returns the
    estimated count after each entry and each run's counter after the batch."""
    m = now_s.size
    bucket = now_s // width
    new_group = runs.new.copy()
    new_group[1:] |= bucket[1:] != bucket[:-1]
    starts = np.flatnonzero(new_group)
    group = np.cumsum(new_group) - 1
    size = np.diff(np.append(starts, m))
    g_bucket = bucket[starts]
    g_first = runs.new[starts]
    s_bucket, s_cur, s_prev = start[runs.id[starts]].T
    # The first group of a run continues the counter from state; a later one follows the group
    # before it (same key, earlier bucket). A gap of more than one bucket, or going back in
    # time, restarts the counter.
    cur0 = np.where(g_first & (g_bucket == s_bucket), s_cur, 0)
    final = cur0 + size
    before_bucket = np.empty_like(g_bucket)
    before_final = np.empty_like(final)
    before_bucket[1:], before_final[1:] = g_bucket[:-1], final[:-1]
    before_bucket[:1], before_final[:1] = 0, 0  # group 0 is always a run's first
    from_state = np.where(
        g_bucket == s_bucket, s_prev, np.where(g_bucket - 1 == s_bucket, s_cur, 0)
    )
    from_before = np.where(before_bucket == g_bucket - 1, before_final, 0)
    g_prev = np.where(g_first, from_state, from_before)

    cur = cur0[group] + (np.arange(m) - starts[group] + 1)
    prev = g_prev[group]
    into = (ts_us - (bucket * width + _EPOCH_OFFSET_S) * US) / (width * US)
    estimate = np.where(prev == 0, cur, prev * (1.0 - np.clip(into, 0.0, 1.0)) + cur)
    last = group[runs.ends]
    return estimate.astype(np.float64), np.stack((g_bucket[last], final[last], g_prev[last]), 1)


@dataclass(frozen=True, slots=True)
class _Runs:
    """Entries sorted by key: where each key's run starts (`new`), its run number (`id`),
    the first and last entry of every run."""

    new: np.ndarray
    id: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, sorted_keys: np.ndarray) -> _Runs:
        """The runs of equal keys in `sorted_keys`."""
        new = np.ones(sorted_keys.size, bool)
        new[1:] = sorted_keys[1:] != sorted_keys[:-1]
        starts = np.flatnonzero(new)
        ends = np.append(starts[1:], sorted_keys.size) - 1
        return cls(new, np.cumsum(new) - 1, starts, ends)


_SOURCES = ("visitor", "ip", "subnet")
_STRONG_SOURCES = (True, True, False)


def velocity(
    batch: EnrichedBatch,
    ctx: ValidationContext,
    snap: Snapshot,
    keys: KeyColumns,
    invalid: np.ndarray,
    limits: VelocityLimits,
) -> Hits:
    """More clicks than a person makes from one visitor, IP or /24-/48 subnet in sliding
    windows of 60 s and 1 h (every click that is not already invalid is counted).

    Counted for all clicks at once: (click, source) entries sorted by (key, time), counts
    within each (key, bucket) group, previous-bucket counts from the group before or state."""
    by_source = np.stack((keys.rate_visitor, keys.rate_ip, keys.rate_subnet), axis=1)
    clicks, sources = np.nonzero((by_source != 0) & ~invalid[:, None])  # by click, then source
    if not clicks.size:
        return {}
    entry_keys = by_source[clicks, sources]
    order = np.argsort(entry_keys, kind="stable")
    entry_keys, clicks, sources = entry_keys[order], clicks[order], sources[order]
    runs = _Runs.of(entry_keys)
    now_s, ts_us = keys.now_s[clicks], keys.ts_us[clicks]
    run_keys = entry_keys[runs.starts]
    rows, found = snap.rows(run_keys)
    found &= snap.loaded.expires[rows] > now_s[runs.starts]
    first, second = unpack_counters_columns(snap.loaded.values[rows])
    first[~found], second[~found] = (-1, 0, 0), (-1, 0, 0)
    w1, w2 = limits.windows
    c1, end1 = _sliding(runs, now_s, ts_us, w1, first)
    c2, end2 = _sliding(runs, now_s, ts_us, w2, second)
    keep = 2 * max(limits.windows) + 1
    snap.put(run_keys, now_s[runs.ends] + keep, pack_counters_columns(end1, end2))

    bounds = (limits.visitor, limits.ip, limits.subnet)
    lim1 = np.array([b[0] for b in bounds])[sources]
    lim2 = np.array([b[1] for b in bounds])[sources]
    over1, over2 = c1 > lim1, c2 > lim2
    exceeding = np.flatnonzero(over1 | over2)
    if not exceeding.size:
        return {}
    exceeding = exceeding[np.lexsort((sources[exceeding], clicks[exceeding]))]
    by_click: dict[int, tuple[list[dict[str, object]], list[bool]]] = {}
    for e in exceeding.tolist():
        i, s = int(clicks[e]), int(sources[e])
        exceeded, strong = by_click.setdefault(i, ([], [False]))
        kind, (lim1_s, lim2_s) = _SOURCES[s], bounds[s]
        if over1[e]:
            clicks1 = round(float(c1[e]), 1)
            exceeded.append(
                {"source": kind, "window_seconds": w1, "clicks": clicks1, "limit": lim1_s}
            )
        if over2[e]:
            clicks2 = round(float(c2[e]), 1)
            exceeded.append(
                {"source": kind, "window_seconds": w2, "clicks": clicks2, "limit": lim2_s}
            )
        strong[0] = strong[0] or _STRONG_SOURCES[s]
    return {
        i: Hit("strong" if strong[0] else "weak", {"exceeded": exceeded})
        for i, (exceeded, strong) in by_click.items()
    }
