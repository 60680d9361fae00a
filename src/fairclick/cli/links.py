"""`fairclick link …` and `fairclick post add`: tracked links and the posts that share them."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.orm import Session

from fairclick.campaigns.enrolments import find_enrolment
from fairclick.campaigns.models import Enrolment
from fairclick.campaigns.service import get_campaign_by_key
from fairclick.cli import queries
from fairclick.cli.common import (
    build,
    database,
    handled,
    print_json,
    print_record,
    print_table,
    say,
    settings,
)
from fairclick.cli.parsing import network, timestamp
from fairclick.domain.clock import system_clock
from fairclick.domain.errors import NotFound
from fairclick.influencers.service import get_influencer_by_key
from fairclick.links.models import Link, Post
from fairclick.links.service import create_link, get_link_by_code
from fairclick.moderation.service import declare_and_assess, edit_post
from fairclick.world.schema import WorldPost

link_app = typer.Typer(help="Tracked links: create, list, show.", no_args_is_help=True)
post_app = typer.Typer(help="Posts where influencers share their links.", no_args_is_help=True)
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
CAMPAIGN = typer.Argument(..., help="The campaign's key.")
INFLUENCER = typer.Argument(..., help="The influencer's key.")


def short_url(code: str) -> str:
    """The public short URL of a link code."""
    return f"{settings().base_url}/c/{code}"


def _enrolment(session: Session, campaign_key: str, influencer_key: str) -> Enrolment:
    campaign = get_campaign_by_key(session, campaign_key)
    influencer = get_influencer_by_key(session, influencer_key)
    found = find_enrolment(session, campaign.id, influencer.id)
    if found is None:
        raise NotFound(f"{influencer_key} is not enrolled in {campaign_key}")
    return found


@link_app.command("create")
def create(
    campaign: str = CAMPAIGN,
    influencer: str = INFLUENCER,
    network_name: str | None = typer.Option(
        None, "--network", help="Network the link is for (sets utm_source)."
    ),
    code: str | None = typer.Option(
        None, "--code", help="Fixed code (4–64 of A-Z a-z 0-9 - _); default: a random one."
    ),
) -> None:
    """Create a tracked link for an approved enrolment."""
    chosen = network("--network", network_name) if network_name else None
    with handled(), database().session() as session:
        link = create_link(
            session, _enrolment(session, campaign, influencer), network=chosen, code=code
        )
    say(f"{short_url(link.code)} → {link.target_url}")


def _link_data(row: Any) -> dict[str, Any]:
    link, campaign, influencer, post_url = row
    return {
        "code": link.code,
        "short_url": short_url(link.code),
        "campaign": campaign,
        "influencer": influencer,
        "network": link.network,
        "default": link.is_default,
        "post_url": post_url,
        "target_url": link.target_url,
        "disabled_at": link.disabled_at,
        "created_at": link.created_at,
    }


@link_app.command("list")
def list_(
    campaign: str | None = typer.Option(None, "--campaign", help="Only this campaign's links."),
    influencer: str | None = typer.Option(
        None, "--influencer", help="Only this influencer's links."
    ),
    limit: int = typer.Option(1000, "--limit", min=1, max=100_000, help="Show at most this many."),
    as_json: bool = JSON,
) -> None:
    """List tracked links with their short URLs."""
    with handled(), database().session() as session:
        campaign_id = get_campaign_by_key(session, campaign).id if campaign else None
        influencer_id = get_influencer_by_key(session, influencer).id if influencer else None
        data = [_link_data(r) for r in queries.links(session, limit, campaign_id, influencer_id)]
    if as_json:
        print_json(data)
        return
    print_table(
        "Links",
        ["short URL", "campaign", "influencer", "network", "default", "post", "disabled"],
        [
            (
                d["short_url"],
                d["campaign"],
                d["influencer"],
                d["network"],
                d["default"],
                d["post_url"],
                d["disabled_at"],
            )
            for d in data
        ],
    )


@link_app.command("show")
def show(code: str = typer.Argument(..., help="The link's code."), as_json: bool = JSON) -> None:
    """Show a link: its short URL, where it leads, whose it is and its post."""
    with handled(), database().session() as session:
        link: Link = get_link_by_code(session, code)
        campaign, influencer, post = queries.link_details(session, link)
    data = _link_data((link, campaign, influencer, post.url if post else None))
    if post is not None:
        data |= {
            "post_text": post.text,
            "posted_at": post.posted_at,
            "incitement_label": post.incitement_label,
        }
    if as_json:
        print_json(data)
        return
    print_record(f"Link {link.code}", list(data.items()))


@post_app.command("add")
def add(
    campaign: str = CAMPAIGN,
    influencer: str = INFLUENCER,
    network_name: str = typer.Option(..., "--network", help="Where the post is published."),
    url: str | None = typer.Option(None, "--url", help="The post's URL."),
    text: str = typer.Option("", "--text", help="The post's text as published."),
    posted_at: str | None = typer.Option(
        None, "--posted-at", help="When it was posted (RFC 3339)."
    ),
    code: str | None = typer.Option(None, "--code", help="Fixed code for the post's link."),
) -> None:
    """Declare a post and get its own tracked link to put in it.

    Every click through that link is attributed to the post (and, later, judged against the
    incitement policy using the post's text).
    """
    chosen = network("--network", network_name)
    when = timestamp("--posted-at", posted_at) if posted_at else None
    checked = build(WorldPost, {"url": url, "text": text, "posted_at": when})
    with handled(), database().session() as session:
        post = declare_and_assess(
            session,
            _enrolment(session, campaign, influencer),
            network=chosen,
            url=checked.url,
            text=checked.text,
            posted_at=checked.posted_at,
            code=code,
            now=system_clock.now(),
        )
        link = session.get_one(Link, post.link_id)
    say(
        f"post {post.id} declared; share {short_url(link.code)} (→ {link.target_url})",
    )
    say(
        f"incitement check: {post.incitement_label} (score {post.incitement_score:.2f}); "
        "an inciting post's clicks are never paid"
    )


@post_app.command("edit")
def edit(
    post_id: int = typer.Argument(..., help="The post's id (printed by `post add`)."),
    text: str = typer.Option(..., "--text", help="The post's new text."),
) -> None:
    """Change a post's text; it is judged again against the incitement policy."""
    checked = build(WorldPost, {"text": text})
    with handled(), database().session() as session:
        post = session.get(Post, post_id)
        if post is None:
            raise NotFound(f"no post {post_id}")
        changed = edit_post(session, post, text=checked.text, now=system_clock.now())
        label, score = post.incitement_label, post.incitement_score or 0.0
    if not changed:
        say(f"post {post_id}: the text is unchanged")
        return
    say(f"post {post_id}: text changed; incitement check: {label} (score {score:.2f})")
