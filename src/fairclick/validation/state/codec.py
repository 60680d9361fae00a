"""The 24-byte values the rules keep in recent state."""

from __future__ import annotations

import struct

_ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ULID_INDEX = {c: i for i, c in enumerate(_ULID)}


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


def unpack_counters(value: bytes) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The two counters of `pack_counters`."""
    x = _COUNTERS.unpack(value)
    return (x[0], x[1], x[2]), (x[3], x[4], x[5])
