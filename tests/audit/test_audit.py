"""`fairclick audit` end to end on real-looking logs, through the platform's validation engine."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from fairclick.audit.service import AuditOptions, run_audit
from fairclick.cli.main import app
from fairclick.validation.engine import Validator
from tests.audit.test_readers import COMBINED_LINES, IPHONE

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def _log(tmp_path: Path) -> Path:
    lines = list(COMBINED_LINES)
    # a person on a residential line, clicking twice (the second is a duplicate)
    for second in ("10", "40"):
        lines.append(
            f'90.12.9.9 - - [17/Nov/2025:07:00:{second} +0100] "GET /c/abc HTTP/1.1" 302 0 "-" "{CHROME}"'
        )
    lines.append(
        f'2a01:cb00:1::7 - - [17/Nov/2025:07:01:00 +0100] "GET /c/abc HTTP/2.0" 302 0 "https://t.co/" "{IPHONE}"'
    )
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_audit_uses_the_engine_and_names_rules_not_applied(tmp_path: Path) -> None:
    summary = run_audit([_log(tmp_path)], AuditOptions(), Validator(secret_key="k" * 20))
    reasons = {r.reason: r.count for r in summary.by_reason}
    assert reasons["link_preview"] == 1  # Twitterbot
    assert reasons["non_browser"] == 1  # curl
    assert reasons["duplicate"] == 1
    assert summary.valid == 3  # iPhone, first Chrome click, IPv6 iPhone
    assert set(summary.rules_not_applied) == {"self_click", "incited", "low_engagement"}
    assert summary.parse["malformed"] == 3


def test_audit_command_writes_reports(tmp_path: Path) -> None:
    log = _log(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["audit", str(log), "--out", str(out), "--path-prefix", "/c/"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "summary.json").read_text())
    assert data["total"] == 6
    assert "invalid" in (out / "report.html").read_text()


def test_audit_command_bad_input_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["audit", str(tmp_path / "none.log")])
    assert missing.exit_code == 1
    assert "no such file" in missing.output
    assert "Traceback" not in missing.output
    bad_time = runner.invoke(app, ["audit", str(_log(tmp_path)), "--since", "yesterday"])
    assert bad_time.exit_code == 1
    assert "--since" in bad_time.output
