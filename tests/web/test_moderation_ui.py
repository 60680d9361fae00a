"""The moderation queue in the pages and the incitement check partial."""

from __future__ import annotations

from sqlalchemy import select

from fairclick.links.models import Link, Post
from fairclick.moderation.models import ModerationCase, PostAssessment
from fairclick.web import incitement_check
from tests.web.conftest import NOW, Web, csrf_of


def _open_case(web: Web) -> tuple[int, int]:
    """A case as the classifier leaves it for a `review` post (rows, as the service writes)."""
    with web.db.session() as session:
        link = session.scalars(select(Link).where(Link.code == "bviabRurGt")).one()
        post = session.scalars(select(Post).where(Post.link_id == link.id)).one()
        case = ModerationCase(post_id=post.id, campaign_id=link.campaign_id, opened_at=NOW)
        session.add(case)
        session.flush()
        return case.id, link.campaign_id


def test_advertiser_decides_a_case_from_the_report(web: Web) -> None:
    case_id, campaign_id = _open_case(web)
    client = web.client("anna@vox.example")
    report = client.get(f"/campaigns/{campaign_id}").text
    assert "trouvez votre bureau de vote" in report and f"/moderation/{case_id}" in report
    refused = client.post(
        f"/moderation/{case_id}", data={"csrf_token": csrf_of(report), "decision": "ok"}
    )
    assert "say why" in refused.text  # a decision needs a note
    done = client.post(
        f"/moderation/{case_id}",
        data={"csrf_token": csrf_of(report), "decision": "ok", "note": "Points to the content."},
    )
    assert "Decision recorded." in done.text
    with web.db.session() as session:
        case = session.get_one(ModerationCase, case_id)
        assert (case.status, case.decision, case.note) == (
            "decided",
            "ok",
            "Points to the content.",
        )
        assert session.scalars(
            select(PostAssessment).where(PostAssessment.source == "moderator")
        ).one()


def test_operator_sees_every_campaigns_queue_and_others_get_404(web: Web) -> None:
    case_id, _ = _open_case(web)
    admin = web.client("admin@fairclick.example").get("/admin/moderation").text
    assert f"/moderation/{case_id}" in admin
    rival = web.client("bruno@rival.example")
    token = csrf_of(rival.get("/campaigns").text)
    answer = rival.post(
        f"/moderation/{case_id}", data={"csrf_token": token, "decision": "incitement", "note": "x"}
    )
    assert answer.status_code == 404
    with web.db.session() as session:
        assert session.get_one(ModerationCase, case_id).status == "open"


def test_incitement_check_partial(web: Web) -> None:
    client = web.client("lucas@example.org")
    page = client.get("/me/posts/new").text
    response = client.post(
        "/me/posts/check",
        data={"text": "Cliquez sur mon lien, je suis payé au clic !", "network": "x"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(page)},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    if incitement_check.available():
        assert 'data-label="' in response.text
    else:
        assert "not available on this platform yet" in response.text


def test_advertiser_approves_an_application(web: Web) -> None:
    from sqlalchemy import update

    from fairclick.campaigns.models import Campaign, Enrolment

    with web.db.session() as session:
        session.execute(
            update(Campaign).where(Campaign.key == "guide-vote").values(openness="on_approval")
        )
    lucas = web.client("lucas@example.org")
    home = lucas.get("/me").text
    campaign_id = int(
        home.split("Guide du vote")[1].split('action="/me/campaigns/')[1].split("/")[0]
    )
    applied = lucas.post(f"/me/campaigns/{campaign_id}/join", data={"csrf_token": csrf_of(home)})
    assert "Your application was sent to the advertiser." in applied.text
    anna = web.client("anna@vox.example")
    report = anna.get(f"/campaigns/{campaign_id}").text
    with web.db.session() as session:
        enrolment = session.scalars(
            select(Enrolment).where(Enrolment.campaign_id == campaign_id)
        ).one()
    assert f"/enrolments/{enrolment.id}" in report
    bruno = web.client("bruno@rival.example")
    denied = bruno.post(
        f"/campaigns/{campaign_id}/enrolments/{enrolment.id}",
        data={"csrf_token": csrf_of(bruno.get("/campaigns").text), "status": "approved"},
    )
    assert denied.status_code == 404
    done = anna.post(
        f"/campaigns/{campaign_id}/enrolments/{enrolment.id}",
        data={"csrf_token": csrf_of(report), "status": "approved"},
    )
    assert "Enrolment updated." in done.text
    assert "Guide du vote" in lucas.get("/me/links").text


def test_an_inciting_post_needs_confirmation_and_is_judged(web: Web) -> None:
    if not incitement_check.available():
        import pytest

        pytest.skip("fairclick.incitement is not installed in this build")
    client = web.client("lucas@example.org")
    form = client.get("/me/posts/new").text
    campaign_id = form.split('name="campaign"')[1].split('value="')[1].split('"')[0]
    data = {"csrf_token": csrf_of(form), "campaign": campaign_id, "network": "x",
            "url": "https://x.com/lucasl77/status/7",
            "text": "Cliquez sur mon lien svp, je suis payé au clic, merci de m'aider !"}  # fmt: skip
    first = client.post("/me/posts", data=data)
    assert first.status_code == 422 and 'data-label="incitement"' in first.text
    assert 'name="confirmed"' in first.text
    saved = client.post("/me/posts", data={**data, "confirmed": "yes"})
    assert "Post declared" in saved.text
    with web.db.session() as session:
        post = session.scalars(select(Post).where(Post.url == data["url"])).one()
        assert post.incitement_label == "incitement"
