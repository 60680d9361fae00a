"""The request at the edge: bounded, cleaned values; client address and scheme behind proxies.

Everything read from a request is trimmed to a bound and stripped of control characters (NUL
would make PostgreSQL refuse the whole journal group). Nothing read here is ever written into a
response header.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fairclick.domain.ids import is_valid_code, new_token

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_CODE = 64
MAX_PATH = 2000
MAX_UA = 1000
MAX_REFERER = 2000
MAX_LANGUAGE = 500
MAX_HEADER = 512
VISITOR_COOKIE = "fc_vid"
_VISITOR_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_CONTROL = dict.fromkeys([*range(0x20), 0x7F])

# Headers the validator reads besides UA, referrer and language (DESIGN.md, click record).
KEPT_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "dnt",
        "from",
        "purpose",
        "sec-ch-ua",
        "sec-ch-ua-full-version-list",
        "sec-ch-ua-mobile",
        "sec-ch-ua-model",
        "sec-ch-ua-platform",
        "sec-ch-ua-platform-version",
        "sec-fetch-dest",
        "sec-fetch-mode",
        "sec-fetch-site",
        "sec-fetch-user",
        "sec-purpose",
        "upgrade-insecure-requests",
        "via",
        "x-moz",
        "x-purpose",
        "x-requested-with",
    }
)


def clean(value: str, limit: int) -> str:
    """`value` cut to `limit` characters, without control characters."""
    value = value[:limit]
    if value.isprintable():
        return value
    return value.translate(_CONTROL)


def code_of(path: str) -> tuple[str, bool]:
    """The code in `/c/{code}` (cleaned and bounded) and whether it has a code's shape."""
    raw = path[3:]
    return clean(raw, MAX_CODE), is_valid_code(raw)


def visitor_from_cookie(cookie: str) -> str | None:
    """The first-party visitor id from a Cookie header, if it is well-formed."""
    start = cookie.find(VISITOR_COOKIE + "=")
    while start != -1:
        if start == 0 or cookie[start - 1] in " ;":
            value = cookie[start + len(VISITOR_COOKIE) + 1 :].split(";", 1)[0].strip()
            return value if _VISITOR_RE.match(value) else None
        start = cookie.find(VISITOR_COOKIE + "=", start + 1)
    return None


def new_visitor_id() -> str:
    """A random visitor id (128 bits, URL-safe)."""
    return new_token()


def visitor_cookie(visitor_id: str, secure: bool) -> str:
    """The Set-Cookie value: one year, first-party, not readable by scripts."""
    attrs = f"{VISITOR_COOKIE}={visitor_id}; Max-Age=31536000; Path=/; HttpOnly; SameSite=Lax"
    return attrs + "; Secure" if secure else attrs


class Proxies:
    """Trusted proxies: decides whose forwarding headers to believe (memoised per peer)."""

    def __init__(self, networks: Sequence[Network]) -> None:
        self.networks = list(networks)
        self._memo: dict[str, bool] = {}

    def trusted(self, address: str) -> bool:
        """Whether `address` is one of the trusted proxies."""
        if not self.networks:
            return False
        known = self._memo.get(address)
        if known is None:
            try:
                ip = ipaddress.ip_address(address)
                known = any(ip in net for net in self.networks)
            except ValueError:
                known = False
            if len(self._memo) > 10_000:
                self._memo.clear()
            self._memo[address] = known
        return known

    def client(self, peer: str, forwarded_for: str, forwarded: str) -> str:
        """The client address: the peer, unless the peer is trusted and says who it forwards
        for; then the right-most address of the chain that is not itself a trusted proxy."""
        if not forwarded_for and not forwarded:
            return peer
        if not self.trusted(peer):
            return peer
        chain = (
            [part.strip() for part in forwarded_for.split(",")]
            if forwarded_for
            else list(_forwarded_for(forwarded))
        )
        chosen = peer
        for candidate in reversed(chain):
            address = _plain_address(candidate)
            if address is None:
                break  # a malformed hop: trust nothing further left
            chosen = address
            if not self.trusted(address):
                break
        return chosen

    def scheme(self, peer: str, scope_scheme: str, forwarded_proto: str, forwarded: str) -> str:
        """`https` or `http` as the client used it (from a trusted proxy's headers)."""
        if (forwarded_proto or forwarded) and self.trusted(peer):
            if forwarded_proto:
                value = forwarded_proto.split(",")[0].strip().lower()
            else:
                value = _forwarded_param(forwarded, "proto")
            if value in ("http", "https"):
                return value
        return scope_scheme


def _forwarded_for(header: str) -> Iterable[str]:
    for element in header.split(","):
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.lower() == "for":
                yield value.strip().strip('"')


def _forwarded_param(header: str, wanted: str) -> str:
    last = ""
    for element in header.split(","):
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.lower() == wanted:
                last = value.strip().strip('"').lower()
    return last


def _plain_address(text: str) -> str | None:
    """An address from `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:443` or `2001:db8::1`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


@dataclass(slots=True)
class RequestFacts:
    """What the redirect keeps of one request's headers."""

    user_agent: str = ""
    referer: str = ""
    accept_language: str = ""
    cookie: str = ""
    forwarded_for: str = ""
    forwarded: str = ""
    forwarded_proto: str = ""
    headers: dict[str, str] = field(default_factory=dict)


_KEPT, _UA, _REFERER, _LANGUAGE, _COOKIE, _XFF, _FORWARDED, _XFP = range(8)
_KINDS = {  # one look-up per header: what to do with it (absent: nothing)
    **dict.fromkeys(KEPT_HEADERS, _KEPT),
    "user-agent": _UA,
    "referer": _REFERER,
    "accept-language": _LANGUAGE,
    "cookie": _COOKIE,
    "x-forwarded-for": _XFF,
    "forwarded": _FORWARDED,
    "x-forwarded-proto": _XFP,
}
LOST = "\ufffd"
"""The value kept for a header whose value the server could not hand over as text."""


def read_header_pairs(pairs: Iterable[tuple[str, str]]) -> RequestFacts:
    """One pass over (lower-case name, value) pairs."""
    facts = RequestFacts()
    kinds = _KINDS
    for name, value in pairs:
        kind = kinds.get(name)
        if kind is None:
            continue
        if kind == _KEPT:
            facts.headers[name] = clean(value, MAX_HEADER)
        elif kind == _UA:
            facts.user_agent = clean(value, MAX_UA)
        elif kind == _REFERER:
            facts.referer = clean(value, MAX_REFERER)
        elif kind == _LANGUAGE:
            facts.accept_language = clean(value, MAX_LANGUAGE)
        elif kind == _COOKIE:
            facts.cookie = value
        elif kind == _XFF:
            facts.forwarded_for = value[:MAX_PATH]
        elif kind == _FORWARDED:
            facts.forwarded = value[:MAX_PATH]
        else:
            facts.forwarded_proto = value[:16]
    return facts


def read_headers(raw: Iterable[tuple[bytes, bytes]]) -> RequestFacts:
    """An ASGI header list (lower-case byte names; values decoded as UTF-8, invalid bytes
    becoming U+FFFD)."""
    return read_header_pairs(
        (name.decode("latin-1"), value.decode("utf-8", "replace")) for name, value in raw
    )


def read_rsgi_headers(headers: Any) -> RequestFacts:
    """Granian's RSGI headers. Granian leaves out of `items()` a value that is not visible
    ASCII (it has no text for it; `keys()` still names it): such a header is kept as `LOST`
    rather than as if it had not been sent."""
    items = headers.items()
    names = headers.keys()  # each name once, repeated or not
    present = {name for name, _ in items}
    if len(present) != len(names):
        items = [*items, *((name, LOST) for name in names if name not in present)]
    return read_header_pairs(items)
