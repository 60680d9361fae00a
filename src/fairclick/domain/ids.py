"""Identifiers: unguessable short codes, sortable click ids, slugs."""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
import unicodedata

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


_last_ms = 0
_seq = 0


def new_click_id() -> str:
    """A time-ordered, unique click id (ULID-like: 48-bit ms time + 80 random bits, base32 text)."""
    global _last_ms, _seq
    ms = time.time_ns() // 1_000_000
    if ms <= _last_ms:
        ms = _last_ms
        _seq += 1
    else:
        _last_ms, _seq = ms, 0
    value = (ms << 80) | ((_seq & 0xFFFF) << 64) | int.from_bytes(random_bytes(8), "big")
    return _b32(value, 26)


_B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]  # 10 bits at a time: half the loop turns
_pool = b""
_pool_pos = 0
_pool_lock = threading.Lock()


def random_bytes(n: int) -> bytes:
    """`n` bytes from the OS CSPRNG, drawn from a pool refilled 8 KiB at a time (one system
    call per ~1,000 click ids instead of one each: the redirect's hot path)."""
    global _pool, _pool_pos
    with _pool_lock:
        if _pool_pos + n > len(_pool):
            _pool, _pool_pos = os.urandom(max(8192, n)), 0
        start = _pool_pos
        _pool_pos += n
        return _pool[start : start + n]


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
