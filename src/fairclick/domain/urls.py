"""Destination URLs: validation (never an open redirect, never `javascript:`) and UTM merging."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MAX_URL_LENGTH = 2000
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_RESERVED_SUFFIXES = (".localhost", ".local", ".invalid", ".test", ".internal", ".lan", ".home")


class UrlError(ValueError):
    """The URL cannot be a destination; the message says why."""


def check_destination(url: str) -> str:
    """Return `url` stripped if it can be a public http(s) destination, else raise `UrlError`.

    Refused: other schemes (`javascript:`, `data:`, `file:`…), credentials in the URL, hosts
    that cannot be public (single labels, `localhost`, reserved suffixes, private or loopback
    addresses, malformed names), control characters and overlong URLs.
    """
    value = url.strip()
    if not value:
        raise UrlError("the URL is empty")
    if len(value) > MAX_URL_LENGTH:
        raise UrlError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in value):
        raise UrlError("the URL contains spaces or control characters")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise UrlError(f"not a URL: {exc}") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise UrlError("only http:// and https:// URLs are allowed")
    if parts.username or parts.password or "@" in parts.netloc:
        raise UrlError("credentials in a URL are not allowed")
    try:
        port = parts.port
    except ValueError:
        raise UrlError("the port is not a number between 0 and 65535") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlError("the URL has no host")
    _check_host(host)
    if port == 0:
        raise UrlError("port 0 is not allowed")
    return value


def _check_host(host: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if not address.is_global:
            raise UrlError(f"{host} is not a public address")
        return
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UrlError(f"{host!r} is not a valid host name") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or ascii_host == "localhost":
        raise UrlError(f"{host!r} is not a public host name")
    if any(not _LABEL.match(label) for label in labels):
        raise UrlError(f"{host!r} is not a valid host name")
    if labels[-1].isdigit():
        raise UrlError(f"{host!r} is not a valid host name")
    if ascii_host.endswith(_RESERVED_SUFFIXES):
        raise UrlError(f"{host!r} is a reserved, non-public host name")


def merge_utm(destination: str, *, source: str, medium: str, campaign: str) -> str:
    """The destination with `utm_source`, `utm_medium` and `utm_campaign` added.

    Parameters already present in the destination win (the advertiser chose them); every other
    query parameter and the fragment are kept as they are.
    """
    parts = urlsplit(destination)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    for key, value in (
        ("utm_source", source),
        ("utm_medium", medium),
        ("utm_campaign", campaign),
    ):
        if key not in present and value:
            query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
