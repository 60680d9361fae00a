"""The evaluator on a hand-made export and labels whose figures are known."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml

from fairclick.simulate import EvaluationError, evaluate
from fairclick.simulate.evaluate import evaluate_frames

# id: (label, primary, labelled reasons, verdict, predicted reasons, billing, amount, influencer)
ROWS = [
    ("a1", "valid", "valid", [], "valid", [], "billed", 46, "ann"),
    ("a2", "valid", "valid", [], "valid", [], "billed", 46, "ann"),
    ("a3", "valid", "valid", [], "valid", [], "billed", 46, "ann"),
    ("a4", "valid", "valid", [], "invalid", ["datacenter"], "unbilled", 0, "ann"),  # FP
    ("b1", "invalid", "incited", ["incited"], "invalid", ["incited"], "unbilled", 0, "bob"),
    (
        "b2",
        "invalid",
        "incited",
        ["incited", "duplicate"],
        "invalid",
        ["duplicate"],
        "unbilled",
        0,
        "bob",
    ),
    ("b3", "invalid", "incited", ["incited"], "valid", [], "billed", 59, "bob"),  # FN
    (
        "c1",
        "invalid",
        "link_preview",
        ["link_preview"],
        "invalid",
        ["link_preview"],
        "unbilled",
        0,
        "ann",
    ),
    (
        "c2",
        "invalid",
        "link_preview",
        ["link_preview", "datacenter"],
        "invalid",
        ["datacenter", "link_preview"],
        "unbilled",
        0,
        "bob",
    ),
    ("c3", "invalid", "known_crawler", ["known_crawler"], "valid", [], "billed", 46, "ann"),  # FN
]
WORLD = {
    "influencers": [
        {"key": "ann", "social_accounts": [{"network": "x", "followers": 2_000}]},
        {"key": "bob", "social_accounts": [{"network": "x", "followers": 20_000}]},
    ],
    "campaigns": [
        {
            "key": "cmp",
            "payout_by_tier": {"nano": 35, "micro": 45, "macro": 55, "mega": 70},
            "commission_percent": 30,
            "currency": "EUR",
        }
    ],
}


def _write(tmp_path: Path, rows: list[tuple] = ROWS) -> tuple[Path, Path, Path]:
    export, labels, world = (
        tmp_path / "export.jsonl",
        tmp_path / "labels.jsonl",
        tmp_path / "w.yaml",
    )
    with export.open("wb") as e, labels.open("wb") as lab:
        for i, (cid, label, primary, reasons, verdict, pred, billing, amount, who) in enumerate(
            rows
        ):
            e.write(
                orjson.dumps(
                    {
                        "click_id": f"k{i}",
                        "id": cid,
                        "ts": "2026-01-05T10:00:00Z",
                        "code": "c",
                        "campaign": "cmp",
                        "influencer": who,
                        "post": None,
                        "verdict": verdict,
                        "reasons": pred,
                        "billing": billing,
                        "amount_minor": amount,
                        "currency": "EUR",
                        "country": "FR",
                        "asn": 3215,
                    }
                )
                + b"\n"
            )
            lab.write(
                orjson.dumps(
                    {
                        "id": cid,
                        "label": label,
                        "reason": primary,
                        "reasons": reasons,
                        "kind": "organic",
                        "influencer": who,
                        "cheater": who == "bob",
                    }
                )
                + b"\n"
            )
    world.write_text(yaml.safe_dump(WORLD))
    return export, labels, world


def test_known_figures(tmp_path: Path) -> None:
    export, labels, world = _write(tmp_path)
    report = evaluate(export, labels, world)
    o = report.overall
    assert (o.tp, o.fp, o.fn, o.tn) == (4, 1, 2, 3)
    assert o.precision == pytest.approx(4 / 5)
    assert o.recall == pytest.approx(4 / 6)
    assert o.f1 == pytest.approx(2 * 0.8 * (4 / 6) / (0.8 + 4 / 6))
    assert report.false_rejection_rate == pytest.approx(1 / 4)
    incited = report.per_reason["incited"].to_dict()
    assert (incited["labelled"], incited["detected"], incited["matched"]) == (3, 2, 1)
    assert incited["recall"] == pytest.approx(2 / 3) and incited["reason_recall"] == pytest.approx(
        1 / 3
    )
    datacenter = report.per_reason["datacenter"].to_dict()
    assert (datacenter["labelled"], datacenter["predicted"], datacenter["precision"]) == (0, 2, 0.5)
    givt, sivt = report.per_class["GIVT"], report.per_class["SIVT"]
    # GIVT labelled: c1 c2 c3; flagged with a GIVT reason: a4 b2 c1 c2.
    assert (givt.tp, givt.fp, givt.fn) == (2, 2, 1)
    # SIVT labelled: b1 b2 b3; flagged with a SIVT reason: b1.
    assert (sivt.tp, sivt.fp, sivt.fn) == (1, 0, 2)
    assert report.confusion["incited"] == {"incited": 1, "duplicate": 1, "valid": 1}
    assert report.confusion["valid"] == {"valid": 3, "datacenter": 1}
    # Prices: ann nano 35 + 10 (10.5 half-even) = 45, bob micro 45 + 14 (13.5) = 59; the export
    # says what was actually billed (46 for ann's clicks here).
    assert report.billed_minor == 46 * 3 + 59 + 46
    assert report.perfect_minor == 45 * 4
    assert report.count_everything_minor == 45 * 6 + 59 * 4
    assert report.billed_on_invalid_minor == 59 + 46
    [bob] = report.cheaters
    assert (bob.influencer, bob.clicks, bob.billed_clicks, bob.billed_minor) == ("bob", 4, 1, 59)
    assert bob.paid_minor == 45 and bob.perfect_minor == 0
    data = orjson.loads(report.to_json())
    assert data["invalid"]["tp"] == 4 and data["money"]["prices_from"] == "world"


def test_without_world_prices_come_from_the_export(tmp_path: Path) -> None:
    export, labels, _ = _write(tmp_path)
    report = evaluate(export, labels)
    assert report.prices_from == "export"
    assert report.perfect_minor == 46 * 4  # ann's billed price
    assert report.cheaters[0].paid_minor is None


def test_render_prints_tables(tmp_path: Path) -> None:
    from rich.console import Console

    export, labels, world = _write(tmp_path)
    console = Console(record=True, width=200)
    evaluate(export, labels, world).render(console)
    text = console.export_text()
    assert "80.00 %" in text and "incited" in text and "bob" in text


def test_an_export_of_unknown_codes_has_null_columns(tmp_path: Path) -> None:
    import polars as pl

    export, labels, _ = _write(tmp_path)
    frame = pl.read_ndjson(export).with_columns(
        campaign=pl.lit(None), influencer=pl.lit(None), billing=pl.lit("unbilled"), amount_minor=0
    )
    frame.write_ndjson(export)
    report = evaluate(export, labels)
    assert report.billed_minor == 0 and report.clicks == 10


def test_csv_export(tmp_path: Path) -> None:
    import polars as pl

    export, labels, world = _write(tmp_path)
    frame = pl.read_ndjson(export).with_columns(pl.col("reasons").list.join(";"))
    frame.drop("post").write_csv(tmp_path / "export.csv")
    report = evaluate(tmp_path / "export.csv", labels, world)
    assert (report.overall.tp, report.overall.fp) == (4, 1)


def test_mismatches_are_explained(tmp_path: Path) -> None:
    export, labels, _world = _write(tmp_path)
    with pytest.raises(EvaluationError, match="no such export"):
        evaluate(tmp_path / "nope.jsonl", labels)
    partial = tmp_path / "partial.jsonl"
    partial.write_bytes(b"".join(export.read_bytes().splitlines(keepends=True)[:7]))
    with pytest.raises(
        EvaluationError, match=r"3 of 10 labelled clicks are not in the export \(e.g. c1, c2, c3\)"
    ):
        evaluate(partial, labels)
    assert evaluate(partial, labels, allow_missing=True).clicks == 7
    with pytest.raises(EvaluationError, match="missing field"):
        evaluate(labels, labels)
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("{not json\n")
    with pytest.raises(EvaluationError, match="cannot read"):
        evaluate(garbage, labels)


def test_an_export_in_memory_scores_as_the_file_does(tmp_path: Path) -> None:
    import polars as pl

    export, labels, world = _write(tmp_path)
    frame = pl.read_ndjson(export)
    for world_path in (world, None):
        expected = evaluate(export, labels, world_path).to_dict()
        assert evaluate_frames(frame, labels, world_path).to_dict() == expected
    extra = pl.concat([frame, frame.head(1).with_columns(id=pl.lit("unlabelled"))])
    assert evaluate_frames(extra, labels).exported_only == 1
    assert evaluate(export, labels).exported_only == 0
    with pytest.raises(EvaluationError, match="export: not a click export"):
        evaluate_frames(frame.drop("verdict"), labels)
    with pytest.raises(EvaluationError, match="export: 1 external ids appear more than once"):
        evaluate_frames(pl.concat([frame, frame.head(1)]), labels)


def test_cheaters_with_the_same_bill_come_in_a_fixed_order(tmp_path: Path) -> None:
    rows = [(f"z{n}", "invalid", "incited", ["incited"], "invalid", ["incited"], "unbilled", 0,
             f"cheat{n}") for n in range(12)]  # fmt: skip
    export, labels, world = _write(tmp_path, rows)
    labels.write_bytes(labels.read_bytes().replace(b'"cheater":false', b'"cheater":true'))
    names = [c.influencer for c in evaluate(export, labels, world).cheaters]
    assert names == sorted(names) and len(names) == 12
