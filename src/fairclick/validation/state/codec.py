"""The 24-byte values the rules keep in recent state."""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np

_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_INDEX = {c: i for i, c in enumerate(_ULID)}
# ASCII byte → ULID digit (what `str.upper()` then `_ULID_INDEX` gives), 255 when not a digit.
_ULID_DIGIT = np.full(256, 255, np.uint8)
for _i, _c in enumerate(_ULID):
    _ULID_DIGIT[ord(_c)] = _ULID_DIGIT[ord(_c.lower())] = _i
_ULID_FIRST = np.zeros(256, bool)
_ULID_FIRST[[ord(c) for c in "0123"]] = True


def pack_click_id(click_id: str) -> bytes:
    """16 bytes: a 26-character ULID-like id packed to its 128 bits (ids starting 0-3, so
    the first byte stays below 0x80), else up to 15 raw ASCII bytes after a 0xFF marker."""
    text = click_id.upper()
    if len(text) == 26 and text[0] in "0123" and all(c in _ULID_INDEX for c in text):
        value = 0
        for c in text:
            value = value * 32 + _ULID_INDEX[c]
        return value.to_bytes(16, "big")
    raw = click_id.encode("utf-8", "replace")[:15]
    return b"\xff" + raw.ljust(15, b"\x00")


def stored_click_id(click_id: str) -> str:
    """`unpack_click_id(pack_click_id(click_id))` without the packing: the id as recent state
    gives it back (a ULID upper-cased, another id cut to 15 UTF-8 bytes)."""
    text = click_id.upper()
    if len(text) == 26 and text[0] in "0123" and all(c in _ULID_INDEX for c in text):
        return text
    raw = click_id.encode("utf-8", "replace")[:15]
    return raw.rstrip(b"\x00").decode("utf-8", "replace")


def unpack_click_id(blob: bytes) -> str:
    """The click id packed by `pack_click_id` (a raw id longer than 15 bytes comes back cut)."""
    if blob[0] == 0xFF:
        return blob[1:].rstrip(b"\x00").decode("utf-8", "replace")
    value = int.from_bytes(blob, "big")
    chars = []
    for _ in range(26):
        chars.append(_ULID[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def pack_click_ids(click_ids: Sequence[str]) -> np.ndarray:
    """`pack_click_id` of many ids at once: an (n, 16) uint8 array (ASCII ids decoded with
    numpy, others one by one)."""
    n = len(click_ids)
    lengths = np.fromiter(map(len, click_ids), np.int64, n)
    if all(map(str.isascii, click_ids)):  # the usual case: no per-id mask or copy
        is_ascii = np.ones(n, bool)
        text = np.array(click_ids, "S26")
    else:
        is_ascii = np.fromiter(map(str.isascii, click_ids), bool, n)
        text = np.array([c if a else "" for c, a in zip(click_ids, is_ascii, strict=True)], "S26")
    chars = (
        np.frombuffer(text.tobytes(), np.uint8).reshape(n, 26) if n else np.zeros((0, 26), np.uint8)
    )
    digits = _ULID_DIGIT[chars]
    ulid = is_ascii & (lengths == 26) & _ULID_FIRST[chars[:, 0]] & (digits != 255).all(axis=1)
    out = np.zeros((n, 16), np.uint8)
    # 26 base-32 digits = 130 bits whose first 2 are 0 (first digit 0-3): 128 bits, big-endian.
    bits = np.unpackbits(digits[ulid][:, :, None], axis=2)[:, :, 3:].reshape(-1, 130)
    out[ulid] = np.packbits(bits[:, 2:], axis=1)
    raw = is_ascii & ~ulid
    out[raw, 0] = 0xFF
    out[raw, 1:] = chars[raw, :15]
    for i in np.flatnonzero(~is_ascii).tolist():
        out[i] = np.frombuffer(pack_click_id(click_ids[i]), np.uint8)
    return out


def pack_firsts(ts_us: np.ndarray, packed_ids: np.ndarray) -> np.ndarray:
    """`pack_first` of many (event time, packed click id) pairs: an (n, 24) uint8 array."""
    out = np.empty((ts_us.size, 24), np.uint8)
    out[:, :8] = ts_us.astype(">i8").view(np.uint8).reshape(-1, 8)
    out[:, 8:] = packed_ids
    return out


def first_times(values: np.ndarray) -> np.ndarray:
    """The event times (int64 µs) of (n, 24) first-seen records."""
    return np.ascontiguousarray(values[:, :8]).view(">i8")[:, 0].astype(np.int64)


def pack_first(ts_us: int, click_id: str) -> bytes:
    """A first-seen record: event time in microseconds + click id."""
    return struct.pack(">q", ts_us) + pack_click_id(click_id)


def unpack_first(value: bytes) -> tuple[int, str]:
    """(ts_us, click_id) of a first-seen record."""
    return struct.unpack(">q", value[:8])[0], unpack_click_id(value[8:])


_COUNTERS = struct.Struct(">iIIiII")


def pack_counters(a: tuple[int, int, int], b: tuple[int, int, int]) -> bytes:
    """Two sliding-window counters (bucket number, current count, previous count)."""
    return _COUNTERS.pack(*a, *b)


def pack_counters_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`pack_counters` of many rows: `a` and `b` are (n, 3) int64 (bucket, current,
    previous); an (n, 24) uint8 array."""
    words = np.empty((a.shape[0], 6), ">u4")
    words[:, 1:3] = a[:, 1:]
    words[:, 4:6] = b[:, 1:]
    signed = words.view(">i4")
    signed[:, 0] = a[:, 0]
    signed[:, 3] = b[:, 0]
    return words.view(np.uint8).reshape(-1, 24)


def unpack_counters_columns(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two counters of (n, 24) `pack_counters` rows, as (n, 3) int64 arrays."""
    words = np.ascontiguousarray(values).view(">u4").astype(np.int64)
    signed = np.ascontiguousarray(values).view(">i4")
    words[:, 0], words[:, 3] = signed[:, 0], signed[:, 3]
    return words[:, :3], words[:, 3:]


def unpack_counters(value: bytes) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The two counters of `pack_counters`."""
    x = _COUNTERS.unpack(value)
    return (x[0], x[1], x[2]), (x[3], x[4], x[5])
