"""User-agent classification quality on public fixture collections (prints figures; not a test).

    .venv/bin/python bench/validation/ua_quality.py [--data-dir var/data] [--cache /tmp/fcval-fixtures]

Downloads (here, never in the tests) the sdists of `crawlerdetect` and `device-detector` from
PyPI (JSON API, sha256 checked) and reads their fixtures:
  crawlerdetect  tests/fixtures/user_agent/crawlers.txt (bots), devices.txt (browsers)
  device-detector device_detector/tests/fixtures/upstream/bots.yml (bots) and every entry of
                  the other upstream files whose client type is "browser" (browsers)
and prints recall on the bot sets and false-positive rate on the browser sets for fairclick's
classifier and for isbot and CrawlerDetect alone. A set is marked (*) when it comes from a
library whose patterns fairclick uses: such a library scores itself too well on its own set.
"""

from __future__ import annotations

import argparse
import io
import re
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import yaml

from fairclick.validation.data import update as data
from fairclick.validation.enrich.patterns import PatternSet
from fairclick.validation.enrich.ua import UaClassifier, load_bot_lists

Classifier = Callable[[str], bool]


def sdist(client: httpx.Client, package: str, cache: Path) -> tarfile.TarFile:
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"{package}.tar.gz"
    if not target.exists():
        _, blob, _ = data.fetch_pypi_sdist(client, package)
        target.write_bytes(blob)
    return tarfile.open(target, mode="r:gz")


def read(tar: tarfile.TarFile, suffix: str) -> str:
    member = next(m for m in tar.getmembers() if m.name.endswith(suffix))
    handle = tar.extractfile(member)
    assert handle is not None
    return handle.read().decode("utf-8", "replace")


def fixtures(cache: Path) -> dict[str, tuple[str, list[str], bool]]:
    """name → (kind "bots"|"browsers", user agents, from a library whose patterns we use)."""
    with httpx.Client(timeout=120) as client:
        cd = sdist(client, "crawlerdetect", cache)
        dd = sdist(client, "device-detector", cache)
    sets: dict[str, tuple[str, list[str], bool]] = {
        "crawlerdetect crawlers.txt": ("bots", _lines(read(cd, "user_agent/crawlers.txt")), True),
        "crawlerdetect devices.txt": ("browsers", _lines(read(cd, "user_agent/devices.txt")), True),
    }
    bots: list[str] = []
    browsers: list[str] = []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for member in dd.getmembers():
        if "/tests/fixtures/upstream/" not in member.name or not member.name.endswith(".yml"):
            continue
        handle = dd.extractfile(member)
        if handle is None:
            continue
        entries = yaml.load(io.TextIOWrapper(handle, "utf-8"), Loader=loader) or []
        for entry in entries:
            ua = entry.get("user_agent") if isinstance(entry, dict) else None
            if not ua:
                continue
            if member.name.endswith("/bots.yml"):
                bots.append(ua)
            elif (entry.get("client") or {}).get("type") == "browser":
                browsers.append(ua)
    sets["device-detector bots.yml"] = ("bots", bots, False)
    sets["device-detector browsers"] = ("browsers", browsers, False)
    return sets


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def standalone(data_dir: Path) -> dict[str, Classifier]:
    """isbot and CrawlerDetect alone (their own patterns, as each library applies them)."""
    out: dict[str, Classifier] = {}
    for bot_list in load_bot_lists(data_dir):
        matcher, exclusions = bot_list.compile()

        def classify(
            ua: str, matcher: PatternSet = matcher, exclusions: re.Pattern[str] | None = exclusions
        ) -> bool:
            text = exclusions.sub("", ua) if exclusions else ua
            return bool(ua.strip()) and matcher.search(text) is not None

        out[f"{bot_list.name} {bot_list.version} alone"] = classify
    return out


def _mozilla(ua: str) -> bool:
    """The prefix every graphical browser has sent since 1995 (and old Opera's own)."""
    return ua.startswith(("Mozilla/", "Opera/"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="installed data (default: a temporary dir filled by data update)",
    )
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "fcval-fixtures"
    )
    parser.add_argument("--show", type=int, default=15, help="misses / false positives listed")
    args = parser.parse_args()
    data_dir = args.data_dir
    if data_dir is None or not (data_dir / "ua_isbot.json").exists():
        data_dir = args.cache / "data"
        if not (data_dir / "ua_isbot.json").exists():
            data.update(data_dir, print, ip_ranges=False)
    sets = fixtures(args.cache)
    fair = UaClassifier(load_bot_lists(data_dir), cache_size=1 << 20)
    fallback = UaClassifier([], cache_size=1 << 20)
    classifiers: dict[str, Classifier] = {
        "fairclick, downloaded lists": fair.is_bot,
        "fairclick, shipped fallback": fallback.is_bot,
        **standalone(data_dir),
    }
    print(f"data: {data_dir} ({', '.join(f'{k} {v}' for k, v in fair.list_versions.items())})")
    print("(*) fixtures of a library whose patterns fairclick uses")
    print("browser sets: FP of all / of the Mozilla- or Opera-prefixed user agents\n")
    header = f"{'fixture set':34} {'n':>8}  " + "  ".join(
        f"{name[:27]:>27}" for name in classifiers
    )
    print(header)
    for set_name, (kind, uas, ours) in sets.items():
        cells = []
        for classify in classifiers.values():
            flagged = [ua for ua in uas if classify(ua)]
            rate = len(flagged) / len(uas) if uas else 0.0
            if kind == "bots":
                label = f"recall {rate:7.2%}"
            else:
                prefixed = sum(1 for ua in uas if _mozilla(ua))
                rate_m = sum(1 for ua in flagged if _mozilla(ua)) / max(prefixed, 1)
                label = f"FP {rate:6.3%} / {rate_m:6.3%}"
            cells.append(f"{label:>27}")
        mark = " (*)" if ours else ""
        print(f"{set_name + mark:34} {len(uas):>8,}  " + "  ".join(cells))
    for name, classifier in (("downloaded lists", fair), ("shipped fallback", fallback)):
        classifier._cache.clear()
        distinct = {ua for _, uas, _ in sets.values() for ua in uas}
        started = time.process_time()
        for ua in distinct:
            classifier.classify(ua)
        cpu = time.process_time() - started
        print(f"fairclick, {name}: {cpu / len(distinct) * 1e6:.1f} us CPU per distinct UA")
    for set_name, (kind, uas, _) in sets.items():
        wrong = sorted({ua for ua in uas if fair.is_bot(ua) != (kind == "bots")})
        what = "misses" if kind == "bots" else "false positives"
        print(f"\nfairclick (downloaded) {what} on {set_name}: {len(wrong)} distinct")
        for ua in wrong[: args.show]:
            print("   ", ua[:150], "->", fair.classify(ua).match)


if __name__ == "__main__":
    main()
