"""`fairclick incitement check`: judge a post's text against the incitement policy."""

from __future__ import annotations

import sys

import typer

from fairclick.cli.common import fail, print_json, say
from fairclick.incitement import classify, explain

incitement_app = typer.Typer(help="The incitement policy: judge posts before they are shared.")

MAX_TEXT = 20_000


@incitement_app.command("check")
def check(
    text: str = typer.Argument(..., help="The post's text, or - to read it from stdin."),
    network: str | None = typer.Option(None, "--network", help="Where it is posted (x, tiktok…)."),
    as_json: bool = typer.Option(False, "--json", help="Print the assessment as JSON."),
) -> None:
    """Print the label (incitement, review, ok), the calibrated score and the evidence.

    Exit code 0 for ok, 3 for review, 4 for incitement (for scripts and CI checks of copy).
    """
    body = sys.stdin.read() if text == "-" else text
    if not body.strip():
        raise fail("the text is empty")
    if len(body) > MAX_TEXT:
        raise fail(f"the text is longer than {MAX_TEXT} characters")
    result = classify(body, network)
    if as_json:
        print_json(
            {
                "label": result.label.value,
                "score": round(result.score, 4),
                "language": result.language,
                "model_version": result.model_version,
                "evidence": [
                    {"start": e.start, "end": e.end, "text": e.text, "explanation": e.explanation,
                     "source": e.source}
                    for e in result.evidence
                ],
            }
        )  # fmt: skip
    else:
        say(explain(result))
    raise typer.Exit({"ok": 0, "review": 3, "incitement": 4}[result.label.value])
