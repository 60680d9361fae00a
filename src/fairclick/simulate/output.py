"""Writing a generated scenario: `world.yaml` for `fairclick load`, `clicks.jsonl` for
`fairclick ingest` and `labels.jsonl` (the ground truth), streamed in time order."""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import polars as pl
import yaml

from fairclick.simulate.events import REASONS, VALID, Batch
from fairclick.simulate.generate import Generated, generate
from fairclick.simulate.scenario import Scenario

Progress = Callable[[int, int], None]
CHUNK = 50_000


@dataclass(slots=True)
class RunSummary:
    """What `run` wrote and the label mix, for the command's summary line."""

    scenario: str
    seed: int
    clicks: int
    valid: int
    invalid: int
    by_reason: dict[str, int]
    by_kind: dict[str, int]
    world_path: str
    clicks_path: str
    labels_path: str
    seconds: float
    influencers: int = 0
    links: int = 0
    cheaters: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def invalid_share(self) -> float:
        return self.invalid / self.clicks if self.clicks else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def external_ids(generated: Generated, start: int, stop: int) -> list[str]:
    """External ids of events `start..stop`: scenario name, seed and rank in time order."""
    prefix = f"{generated.scenario.name}-{generated.scenario.seed}-"
    return [f"{prefix}{i:08d}" for i in range(start + 1, stop + 1)]


def timestamps(t: np.ndarray) -> list[str]:
    """RFC 3339 UTC timestamps with microseconds."""
    return [s + "Z" for s in np.datetime_as_string(t.astype("datetime64[us]"), unit="us")]


def _reasons(primary: int, extra: int, cache: dict[tuple[int, int], list[str]]) -> list[str]:
    key = (primary, extra)
    found = cache.get(key)
    if found is None:
        found = [] if primary == VALID else [REASONS[primary].value]
        found += [r.value for i, r in enumerate(REASONS) if extra >> i & 1 and i != primary]
        cache[key] = found
    return found


def chunks(generated: Generated, size: int = CHUNK) -> Iterator[tuple[list[dict], list[dict]]]:
    """(click records, labels) in time order, `size` events at a time."""
    ev, tables, plan = generated.events, generated.tables, generated.plan
    agents, headers = tables.agents.values, tables.headers.values
    referers, languages, kinds = (
        tables.referers.values,
        tables.languages.values,
        tables.kinds.values,
    )
    infl = plan.link_influencer
    cache: dict[tuple[int, int], list[str]] = {}
    for start in range(0, len(ev), size):
        part: Batch = ev.take(np.arange(start, min(start + size, len(ev))))
        ids = external_ids(generated, start, start + len(part))
        ts = timestamps(part.t)
        clicks, labels = [], []
        columns = zip(
            ids,
            ts,
            part.link.tolist(),
            part.ip.tolist(),
            part.head.tolist(),
            part.agent.tolist(),
            part.referer.tolist(),
            part.language.tolist(),
            part.headers.tolist(),
            part.visitor.tolist(),
            part.kind.tolist(),
            part.reason.tolist(),
            part.extra.tolist(),
            strict=True,
        )
        for cid, stamp, link, ip, head, ag, ref, lang, hdr, vis, kind, reason, extra in columns:
            clicks.append(
                {
                    "id": cid,
                    "ts": stamp,
                    "code": plan.link_codes[link],
                    "ip": ip,
                    "method": "HEAD" if head else "GET",
                    "user_agent": agents[ag],
                    "referer": referers[ref],
                    "accept_language": languages[lang],
                    "headers": headers[hdr],
                    "visitor_id": vis,
                }
            )
            i = int(infl[link])
            reasons = _reasons(reason, extra, cache)
            labels.append(
                {
                    "id": cid,
                    "label": "valid" if reason == VALID else "invalid",
                    "reason": "valid" if reason == VALID else reasons[0],
                    "reasons": reasons,
                    "kind": kinds[kind],
                    "influencer": plan.influencer_keys[i],
                    "cheater": bool(plan.role[i] > 0),
                }
            )
        yield clicks, labels


def write_world(generated: Generated, path: Path) -> None:
    """The world document as YAML, in the DESIGN.md world-file format."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(
        generated.plan.world, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120
    )
    path.write_text(text, encoding="utf-8")


def _json_table(values: list[Any]) -> np.ndarray:
    return np.array([orjson.dumps(v).decode() for v in values], dtype=object)


def _text(lines: pl.DataFrame, column: str) -> bytes:
    """One JSON document per line, written by Polars (no Python string per line)."""
    buffer = io.BytesIO()
    lines.select(column).write_csv(buffer, include_header=False, quote_style="never")
    return buffer.getvalue()


def _lit(text: str) -> pl.Expr:
    return pl.lit(text, dtype=pl.Utf8)


def encoded_chunks(
    generated: Generated, size: int = CHUNK
) -> Iterator[tuple[bytes, bytes, Counter[str], Counter[str]]]:
    """(clicks JSONL, labels JSONL, reasons, kinds) of `size` events at a time, in time order.

    The JSON is assembled column-wise from fragments serialised once per distinct value
    (user agents, header sets, label sets), so a million lines cost Polars string
    concatenations, not a million dictionaries."""
    ev, tables, plan = generated.events, generated.tables, generated.plan
    ua, hdr = _json_table(tables.agents.values), _json_table(tables.headers.values)
    ref, lang = _json_table(tables.referers.values), _json_table(tables.languages.values)
    kinds = _json_table(tables.kinds.values)
    codes = np.array(plan.link_codes, dtype=object)
    keys = _json_table(plan.influencer_keys)
    cheat = np.where(plan.role > 0, "true", "false").astype(object)
    combos = np.unique(np.stack([ev.reason.astype(np.int64), ev.extra.astype(np.int64)]), axis=1)
    cache: dict[tuple[int, int], list[str]] = {}
    label_of: dict[tuple[int, int], str] = {}
    for r, x in combos.T.tolist():
        reasons = _reasons(r, x, cache)
        head = "valid" if r == VALID else "invalid"
        primary = "valid" if r == VALID else reasons[0]
        label_of[(r, x)] = (
            f'"label":"{head}","reason":"{primary}","reasons":{orjson.dumps(reasons).decode()}'
        )
    prefix = f"{generated.scenario.name}-{generated.scenario.seed}-"
    for start in range(0, len(ev), size):
        stop = min(start + size, len(ev))
        part: Batch = ev.take(np.arange(start, stop))
        infl = plan.link_influencer[part.link]
        combo = [
            label_of[(r, x)] for r, x in zip(part.reason.tolist(), part.extra.tolist(), strict=True)
        ]
        frame = pl.DataFrame(
            {
                "rank": np.arange(start + 1, stop + 1),
                "ts": np.datetime_as_string(part.t.astype("datetime64[us]"), unit="us"),
                "code": codes[part.link],
                "ip": part.ip,
                "method": np.where(part.head, "HEAD", "GET"),
                "ua": ua[part.agent],
                "ref": ref[part.referer],
                "lang": lang[part.language],
                "hdr": hdr[part.headers],
                "vis": pl.Series(part.visitor.tolist(), dtype=pl.Utf8),
                "label": combo,
                "kind": kinds[part.kind],
                "infl": keys[infl],
                "cheater": cheat[infl],
            },
            strict=False,
        )
        ident = pl.concat_str([_lit(prefix), pl.col("rank").cast(pl.Utf8).str.zfill(8)])
        quoted = pl.concat_str([_lit('"'), pl.col("vis"), _lit('"')])
        visitor = pl.when(pl.col("vis").is_null()).then(_lit("null")).otherwise(quoted)
        lines = frame.select(
            click=pl.concat_str(
                [
                    _lit('{"id":"'),
                    ident,
                    _lit('","ts":"'),
                    pl.col("ts"),
                    _lit('Z","code":"'),
                    pl.col("code"),
                    _lit('","ip":"'),
                    pl.col("ip"),
                    _lit('","method":"'),
                    pl.col("method"),
                    _lit('","user_agent":'),
                    pl.col("ua"),
                    _lit(',"referer":'),
                    pl.col("ref"),
                    _lit(',"accept_language":'),
                    pl.col("lang"),
                    _lit(',"headers":'),
                    pl.col("hdr"),
                    _lit(',"visitor_id":'),
                    visitor,
                    _lit("}"),
                ]
            ),
            label=pl.concat_str(
                [
                    _lit('{"id":"'),
                    ident,
                    _lit('",'),
                    pl.col("label"),
                    _lit(',"kind":'),
                    pl.col("kind"),
                    _lit(',"influencer":'),
                    pl.col("infl"),
                    _lit(',"cheater":'),
                    pl.col("cheater"),
                    _lit("}"),
                ]
            ),
        )
        reasons_seen: Counter[str] = Counter()
        for (r, x), count in Counter(
            zip(part.reason.tolist(), part.extra.tolist(), strict=True)
        ).items():
            reasons_seen["valid" if r == VALID else _reasons(r, x, cache)[0]] += count
        kinds_seen = Counter(tables.kinds.values[k] for k in part.kind.tolist())
        yield _text(lines, "click"), _text(lines, "label"), reasons_seen, kinds_seen


def run(
    scenario: Scenario,
    out_dir: str | Path,
    clicks: int | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Generate the scenario and write world.yaml, clicks.jsonl and labels.jsonl into
    `out_dir` (created if needed). `progress(done, total)` is called as records are written."""
    began = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    generated = generate(scenario, clicks)
    world_path, clicks_path, labels_path = (
        out / "world.yaml",
        out / "clicks.jsonl",
        out / "labels.jsonl",
    )
    write_world(generated, world_path)
    total = len(generated.events)
    done = 0
    by_reason: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    with clicks_path.open("wb") as cf, labels_path.open("wb") as lf:
        for clicks_text, labels_text, reasons, kinds in encoded_chunks(generated):
            cf.write(clicks_text)
            lf.write(labels_text)
            by_reason.update(reasons)
            by_kind.update(kinds)
            done += sum(kinds.values())
            if progress is not None:
                progress(done, total)
    plan = generated.plan
    return RunSummary(
        scenario=scenario.name,
        seed=scenario.seed,
        clicks=total,
        valid=by_reason.get("valid", 0),
        invalid=total - by_reason.get("valid", 0),
        by_reason=dict(by_reason.most_common()),
        by_kind=dict(by_kind.most_common()),
        world_path=str(world_path),
        clicks_path=str(clicks_path),
        labels_path=str(labels_path),
        seconds=round(time.perf_counter() - began, 3),
        influencers=len(plan.influencer_keys),
        links=len(plan.link_codes),
        cheaters=int((plan.role > 0).sum()),
    )


def iter_events(generated: Generated, size: int = 10_000) -> Iterator[list[dict]]:
    """Click records in time order, `size` at a time (for driving live traffic)."""
    for records, _ in chunks(generated, size):
        yield records
