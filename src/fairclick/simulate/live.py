"""Drive simulated clicks at a running redirect, over loopback only, bounded in rate and time.
The simulated client address travels in `X-Forwarded-For`; the driver itself connects from
`proxy_ip`, which the server must list in FAIRCLICK_TRUSTED_PROXIES to believe it."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from fairclick.redirect.request import VISITOR_COOKIE

MAX_RATE = 5_000.0
MAX_DURATION = 3_600.0
CONNECTIONS = 32


class LiveDriveError(ValueError):
    """A live drive that would leave the machine or exceed its bounds."""


@dataclass(slots=True)
class LiveSummary:
    sent: int = 0
    failed: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_target(base_url: str, proxy_ip: str) -> str:
    """The base URL without a trailing slash; LiveDriveError unless it and `proxy_ip` are
    loopback addresses (the simulator never sends traffic off the machine)."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LiveDriveError(f"{base_url!r} is not an http(s) URL")
    if not _loopback(parts.hostname):
        raise LiveDriveError(
            f"refusing to drive traffic at {parts.hostname}: only loopback addresses "
            "(127.0.0.0/8, ::1, localhost) are allowed"
        )
    if not _loopback(proxy_ip):
        raise LiveDriveError(f"proxy_ip {proxy_ip} is not a loopback address")
    return base_url.rstrip("/")


def _flatten(events: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
    for item in events:
        if isinstance(item, Mapping):
            yield item
        else:
            yield from item


def request_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The HTTP headers that reproduce a click record: its headers, user agent, referrer,
    language, visitor cookie and client address (X-Forwarded-For)."""
    headers = {str(k): str(v) for k, v in (event.get("headers") or {}).items()}
    headers["user-agent"] = event.get("user_agent") or ""
    if event.get("referer"):
        headers["referer"] = str(event["referer"])
    if event.get("accept_language"):
        headers["accept-language"] = str(event["accept_language"])
    if event.get("visitor_id"):
        headers["cookie"] = f"{VISITOR_COOKIE}={event['visitor_id']}"
    headers["x-forwarded-for"] = str(event["ip"])
    return headers


def drive_live(
    events: Iterable[Any],
    base_url: str,
    rate: float,
    duration: float,
    proxy_ip: str = "127.0.0.1",
) -> LiveSummary:
    """Send `events` (click records, or lists of them) to `{base_url}/c/{code}` at `rate`
    requests per second until they run out or `duration` seconds pass; redirects are not
    followed. Refuses non-loopback targets and rates or durations beyond the bounds."""
    base = check_target(base_url, proxy_ip)
    if not 0 < rate <= MAX_RATE:
        raise LiveDriveError(f"rate must be in (0, {MAX_RATE:g}] requests per second")
    if not 0 < duration <= MAX_DURATION:
        raise LiveDriveError(f"duration must be in (0, {MAX_DURATION:g}] seconds")
    return asyncio.run(_drive(_flatten(events), base, rate, duration, proxy_ip))


async def _drive(
    events: Iterator[Mapping[str, Any]], base: str, rate: float, duration: float, proxy_ip: str
) -> LiveSummary:
    summary = LiveSummary()
    statuses: Counter[int] = Counter()
    transport = httpx.AsyncHTTPTransport(local_address=proxy_ip, retries=0)
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    gate = asyncio.Semaphore(CONNECTIONS * 2)
    began = time.monotonic()

    async def one(client: httpx.AsyncClient, event: Mapping[str, Any]) -> None:
        try:
            response = await client.request(
                event.get("method", "GET"),
                f"{base}/c/{event['code']}",
                headers=request_headers(event),
            )
            statuses[response.status_code] += 1
        except httpx.HTTPError:
            summary.failed += 1
        finally:
            gate.release()

    async with httpx.AsyncClient(
        transport=transport, limits=limits, timeout=10.0, follow_redirects=False
    ) as client:
        tasks = set()
        for event in events:
            due = began + summary.sent / rate
            now = time.monotonic()
            if now - began >= duration:
                break
            if due > now:
                await asyncio.sleep(due - now)
            await gate.acquire()
            task = asyncio.create_task(one(client, event))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            summary.sent += 1
        if tasks:
            await asyncio.gather(*tasks)
    summary.statuses = dict(statuses)
    summary.seconds = round(time.monotonic() - began, 3)
    return summary
