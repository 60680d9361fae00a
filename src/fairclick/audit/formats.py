"""Log line formats as regular expressions: nginx/Apache combined and common, custom nginx
`log_format` strings. Pure: no I/O."""

from __future__ import annotations

import re

_QUOTED = r'(?:[^"\\]|\\.)*'
# What each nginx variable captures, and the column it feeds (None: matched, not kept).
NGINX_VARIABLES: dict[str, tuple[str, str | None]] = {
    "remote_addr": (r"\S+", "ip"),
    "http_x_forwarded_for": (_QUOTED, "forwarded_for"),
    "remote_user": (r"\S+", None),
    "time_local": (r"[^\]]+", "time_local"),
    "time_iso8601": (r"\S+", "time_iso"),
    "msec": (r"[0-9.]+", "time_epoch"),
    "request": (_QUOTED, "request"),
    "request_method": (r"[A-Z]+", "method"),
    "request_uri": (r"\S+", "path"),
    "uri": (r"\S+", "path"),
    "status": (r"\d{3}", "status"),
    "body_bytes_sent": (r"\S+", "bytes"),
    "bytes_sent": (r"\S+", None),
    "http_referer": (_QUOTED, "referer"),
    "http_user_agent": (_QUOTED, "user_agent"),
    "http_accept_language": (_QUOTED, "accept_language"),
    "http_cookie": (_QUOTED, "cookie"),
}

COMBINED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent"'
)
COMMON = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent'

_VAR = re.compile(r"\$(\w+)|\$\{(\w+)\}")


class LogFormatError(ValueError):
    """A custom log format cannot be used; the message says why."""


def log_format_regex(log_format: str) -> str:
    """A regex with named groups for an nginx `log_format` string.

    Known variables become their columns; unknown ones match lazily without being kept. The
    ident field of combined logs is matched loosely (`\\S+`), as servers write `-` or a name.
    """
    pattern, pos, seen = ["^"], 0, set()
    for match in _VAR.finditer(log_format):
        literal = log_format[pos : match.start()]
        pattern.append(_literal(literal))
        name = match.group(1) or match.group(2)
        regex, column = NGINX_VARIABLES.get(name, (r".*?", None))
        if column and column not in seen:
            pattern.append(f"(?P<{column}>{regex})")
            seen.add(column)
        else:
            pattern.append(f"(?:{regex})")
        pos = match.end()
    pattern.append(_literal(log_format[pos:]))
    if not seen & {"time_local", "time_iso", "time_epoch"}:
        raise LogFormatError("the log format has no time ($time_local, $time_iso8601 or $msec)")
    if not seen & {"request", "path"}:
        raise LogFormatError("the log format has no request ($request or $request_uri)")
    pattern.append(r"\s*$")
    return "".join(pattern)


_META = set(".^$|?*+()[]{}\\")


def _literal(text: str) -> str:
    """Escape literal text for both Python's `re` and Rust's `regex` (which Polars uses, and
    which refuses escapes of ordinary characters such as a space)."""
    escaped = "".join("\\" + ch if ch in _META else ch for ch in text)
    # The " - " between remote_addr and remote_user is the ident field: any token.
    return escaped.replace(" - ", r" \S+ ")


def apache_to_nginx(log_format: str) -> str:
    """Translate the common Apache `LogFormat` directives to nginx variables."""
    table = {
        "%h": "$remote_addr",
        "%a": "$remote_addr",
        "%l": "-",
        "%u": "$remote_user",
        "%t": "[$time_local]",
        "%r": "$request",
        "%>s": "$status",
        "%s": "$status",
        "%b": "$body_bytes_sent",
        "%B": "$body_bytes_sent",
        "%{Referer}i": "$http_referer",
        "%{User-agent}i": "$http_user_agent",
        "%{User-Agent}i": "$http_user_agent",
        "%{Accept-Language}i": "$http_accept_language",
    }
    out = log_format
    for key in sorted(table, key=len, reverse=True):
        out = out.replace(key, table[key])
    return out.replace("[[", "[").replace("]]", "]")
