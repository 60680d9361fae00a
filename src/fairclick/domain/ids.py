"""Identifiers: unguessable short codes, sortable click ids, slugs."""

from __future__ import annotations

import binascii
import os
import re
import secrets
import struct
import time
import unicodedata
from collections.abc import Iterator

# URL-safe alphabet without look-alikes that people mistype (0/O, 1/l/I).
CODE_ALPHABET = "23456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{4,64}$")


def new_code(length: int = CODE_LENGTH) -> str:
    """A random short code (≥ 8 characters: 57^10 ≈ 3.6e17 possibilities, not sequential)."""
    if length < 8:
        raise ValueError("short codes are at least 8 characters long")
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def is_valid_code(code: str) -> bool:
    """Whether `code` has the shape of a short code (user-fixed codes may use - and _)."""
    return bool(CODE_PATTERN.match(code))


_B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]  # 10 bits at a time: half the loop turns
_last_ms = 0
_seq = 0
_prefix = ""
_randoms: Iterator[int] = iter(())


def new_click_id() -> str:
    """A time-ordered, unique click id (ULID-like: 48-bit ms time + 80 random bits, base32 text).

    Exactly `_b32((ms << 80) | (seq << 64) | random64, 26)`, where `seq` counts the ids of
    one millisecond (so that they sort in the order they were made) and `random64` comes from
    the OS CSPRNG (so that processes do not collide). On the redirect's hot path, so: the
    time's ten characters are made once per millisecond, the random numbers are drawn 1,024
    at a time, and the last sixteen characters are eight table look-ups without a loop."""
    global _last_ms, _seq, _prefix
    ms = time.time_ns() // 1_000_000
    if ms > _last_ms:
        _last_ms, _seq, _prefix = ms, 0, _b32(ms, 10)
    else:  # same millisecond, or the clock went back: keep the order
        _seq += 1
    try:
        r = next(_randoms)
    except StopIteration:
        r = _refill_randoms()
    pairs = _B32_PAIRS
    head = (_seq & 0xFFFF) << 4 | r >> 60  # the sequence and the random number's top 4 bits
    return "".join(
        (
            _prefix,
            pairs[head >> 10],
            pairs[head & 1023],
            pairs[r >> 50 & 1023],
            pairs[r >> 40 & 1023],
            pairs[r >> 30 & 1023],
            pairs[r >> 20 & 1023],
            pairs[r >> 10 & 1023],
            pairs[r & 1023],
        )
    )


def _refill_randoms(count: int = 1024) -> int:
    """Draw `count` 64-bit numbers from the OS CSPRNG; returns one, keeps the rest. `next()`
    on the tuple's iterator hands each number to one caller only, without a lock."""
    global _randoms
    _randoms = iter(struct.unpack(f">{count}Q", os.urandom(8 * count)))
    return next(_randoms)


_tokens: Iterator[str] = iter(())
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def new_token() -> str:
    """128 bits from the OS CSPRNG as URL-safe base64 without padding (22 characters), what
    `base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=")` gives. Made 256 at a time and
    handed out by a list iterator (no lock): the redirect assigns one to most new visitors."""
    global _tokens
    try:
        return next(_tokens)
    except StopIteration:
        raw = os.urandom(16 * 256)
        encode = binascii.b2a_base64
        batch = [
            encode(raw[i : i + 16], newline=False)[:22].translate(_URL_SAFE).decode("ascii")
            for i in range(0, len(raw), 16)
        ]
        _tokens = iter(batch)
        return next(_tokens)


def _forget_randomness() -> None:
    """In a forked child: never hand out the numbers the parent may also hand out."""
    global _randoms, _tokens
    _randoms, _tokens = iter(()), iter(())


os.register_at_fork(after_in_child=_forget_randomness)


def _b32(value: int, width: int) -> str:
    chars = []
    if width % 2:
        chars.append(_B32[value & 31])
        value >>= 5
    for _ in range(width // 2):
        chars.append(_B32_PAIRS[value & 1023])
        value >>= 10
    return "".join(reversed(chars))


def slugify(text: str, max_length: int = 60) -> str:
    """A lowercase ASCII slug (`Primaire : où voter` → `primaire-ou-voter`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "campaign"
