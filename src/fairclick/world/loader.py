"""Load a world file idempotently: by `key`, `code` or `email`, loading twice changes nothing.

The caller runs `apply_world` inside one transaction: a file that fails anywhere changes
nothing, and the error names the line of the offending entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from fairclick.accounts.models import Organisation, Role, User
from fairclick.accounts.passwords import verify_password
from fairclick.accounts.schemas import UserIn
from fairclick.accounts.service import (
    create_organisation,
    create_user,
    get_organisation_by_key,
    get_user_by_email,
    set_password,
)
from fairclick.campaigns.enrolments import decide, find_enrolment
from fairclick.campaigns.models import Campaign, Enrolment, EnrolmentStatus
from fairclick.campaigns.schemas import CampaignUpdate
from fairclick.campaigns.service import change_status, create_campaign, update_campaign
from fairclick.domain.clock import Clock, system_clock
from fairclick.domain.errors import FairclickError, InvalidInput
from fairclick.incitement import Assessment
from fairclick.incitement.model import classify_many
from fairclick.influencers.models import Influencer, InfluencerSession
from fairclick.influencers.schemas import InfluencerIn
from fairclick.influencers.service import (
    add_social_account,
    create_influencer,
    ip_hash,
    record_session,
)
from fairclick.links.models import Link, Post
from fairclick.links.service import create_link, declare_post, ensure_default_link
from fairclick.moderation.service import assess_post
from fairclick.world.schema import World, WorldCampaign, WorldLink

MAX_WORLD_BYTES = 64 * 1024 * 1024
# libyaml's parser when PyYAML was built with it (about ten times faster on a 300-influencer
# world); the pure-Python one otherwise. Both build the same document and the same marks.
_YamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class WorldError(InvalidInput):
    """The world file is malformed or inconsistent; the message names the line."""

    type = "invalid-world-file"


@dataclass
class LoadSummary:
    """What a load created and what it found already there, per section."""

    created: dict[str, int] = field(default_factory=dict)
    unchanged_or_updated: dict[str, int] = field(default_factory=dict)

    def count(self, section: str, created: bool) -> None:
        target = self.created if created else self.unchanged_or_updated
        target[section] = target.get(section, 0) + 1


class _Lines:
    """Finds the line of a path such as ("campaigns", 0, "budget") in the parsed document."""

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._root: yaml.Node | None = None

    @property
    def root(self) -> yaml.Node | None:
        # Composed on the first error only: a file that loads cleanly never pays for it.
        if self._text is not None:
            try:
                self._root = yaml.compose(self._text, Loader=_YamlLoader)
            except yaml.YAMLError:
                self._root = None
            self._text = None
        return self._root

    def line(self, path: Sequence[str | int]) -> int | None:
        node, best = self.root, None
        for part in path:
            if node is None:
                break
            best = node.start_mark.line + 1
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                node = next((v for k, v in node.value if k.value == part), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                node = node.value[part] if 0 <= part < len(node.value) else None
            else:
                node = None
        if node is not None:
            best = node.start_mark.line + 1
        return best


def parse_world(text: str) -> tuple[World, _Lines]:
    """Parse and validate a world document; `WorldError` names the bad line."""
    if len(text.encode()) > MAX_WORLD_BYTES:
        raise WorldError(f"the file is larger than {MAX_WORLD_BYTES // 2**20} MiB")
    try:
        data: Any = yaml.load(text, Loader=_YamlLoader) if text.strip() else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}" if mark else "somewhere"
        raise WorldError(f"{where}: not valid YAML/JSON: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise WorldError(f"not valid YAML/JSON: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise WorldError("line 1: a world file is a mapping of sections (organisations, users…)")
    lines = _Lines(text)
    try:
        world = World.model_validate(json.loads(json.dumps(data, default=str)))
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if isinstance(p, str | int)]
        line = lines.line(loc)
        where = ".".join(str(p) for p in loc) or "document"
        prefix = f"line {line}: " if line else ""
        raise WorldError(f"{prefix}{where}: {first['msg']}") from None
    return world, lines


def apply_world(
    session: Session,
    text: str | tuple[World, _Lines],
    *,
    secret_key: str,
    clock: Clock = system_clock,
    progress: Callable[[str, int, int], None] | None = None,
) -> LoadSummary:
    """Create or update everything the document describes (its text, or what `parse_world`
    made of it when the caller needs the document too). Does not commit."""
    world, lines = parse_world(text) if isinstance(text, str) else text
    summary = LoadSummary()
    loader = _Loader(session, secret_key, clock, summary)
    sections: list[tuple[str, Sequence[Any], Callable[[Any], bool]]] = [
        ("organisations", world.organisations, loader.organisation),
        ("users", world.users, loader.user),
        ("influencers", world.influencers, loader.influencer),
        ("campaigns", world.campaigns, loader.campaign),
        ("enrolments", world.enrolments, loader.enrolment),
        ("links", world.links, loader.link),
    ]
    for name, items, apply in sections:
        for index, item in enumerate(items):
            try:
                created = apply(item)
            except FairclickError as exc:
                line = lines.line([name, index])
                prefix = f"line {line}: " if line else ""
                raise WorldError(f"{prefix}{name}[{index}]: {exc.detail}") from None
            summary.count(name, created)
            if progress:
                progress(name, index + 1, len(items))
    # Posts are judged once everything is in place: a world file records what happened, and a
    # suspension that a judgement triggers must not refuse the file's later links.
    # One batch through the classifier (the same judgements as one by one, cheaper).
    judged = classify_many([post.text or "" for post in loader.to_assess])
    for post, result in zip(loader.to_assess, judged, strict=True):
        assess_post(session, post, now=clock.now(), classify=_given(result))
    session.flush()
    return summary


def _given(result: Assessment) -> Callable[[str, str | None], Assessment]:
    """A classifier that answers `result`: the post was judged in the batch already."""
    return lambda _text, _network: result


class _Loader:
    def __init__(self, session: Session, secret: str, clock: Clock, summary: LoadSummary) -> None:
        self.session, self.secret, self.clock, self.summary = session, secret, clock, summary
        self.to_assess: list[Post] = []
        self.campaigns: dict[str, Campaign] = {}
        self.influencers: dict[str, Influencer] = {}

    def organisation(self, item: Any) -> bool:
        org = self.session.scalar(select(Organisation).where(Organisation.key == item.key))
        if org is None:
            create_organisation(self.session, item)
            return True
        org.name, org.country = item.name, item.country
        return False

    def user(self, item: Any) -> bool:
        existing = get_user_by_email(self.session, item.email)
        if existing is None:
            create_user(self.session, UserIn.model_validate(item.model_dump()))
            return True
        if existing.role != item.role.value:
            raise InvalidInput(f"{item.email} exists with role {existing.role}, not {item.role}")
        if item.organisation:
            existing.organisation_id = get_organisation_by_key(self.session, item.organisation).id
        self._password(existing, item.password)
        return False

    def _password(self, user: User, password: str | None) -> None:
        # Re-hashing would change the stored hash on every load: only set a changed password.
        if password and not verify_password(user.password_hash, password):
            set_password(self.session, user, password)

    def influencer(self, item: InfluencerIn) -> bool:
        found = self.session.scalar(select(Influencer).where(Influencer.key == item.key))
        if found is None:
            create_influencer(self.session, item, self.secret)
            return True
        found.display_name, found.country = item.display_name, item.country
        found.languages, found.status = list(item.languages), item.status
        if item.email:
            self._influencer_login(found, item)
        for account in item.social_accounts:
            add_social_account(self.session, found, account)
        for entry in item.sessions:
            hashed = ip_hash(entry.ip, self.secret) if entry.ip else None
            exists = self.session.scalar(
                select(InfluencerSession.id).where(
                    InfluencerSession.influencer_id == found.id,
                    InfluencerSession.ts == entry.ts,
                    InfluencerSession.ip_hash.is_(None)
                    if hashed is None
                    else InfluencerSession.ip_hash == hashed,
                )
            )
            if exists is None:
                record_session(self.session, found, entry, self.secret)
        return False

    def _influencer_login(self, influencer: Influencer, item: InfluencerIn) -> None:
        assert item.email is not None
        user = get_user_by_email(self.session, item.email)
        if user is None:
            user = create_user(
                self.session,
                UserIn(email=item.email, role=Role.INFLUENCER, password=item.password),
            )
        elif user.role != "influencer":
            raise InvalidInput(f"{item.email} is a {user.role}, not an influencer")
        else:
            self._password(user, item.password)
        if influencer.user_id not in (None, user.id):
            raise InvalidInput(f"influencer {item.key} already has another login")
        influencer.user_id = user.id

    def campaign(self, item: WorldCampaign) -> bool:
        org = get_organisation_by_key(self.session, item.organisation)
        found = self.session.scalar(select(Campaign).where(Campaign.key == item.key))
        if found is None:
            create_campaign(self.session, item, org)
            return True
        if found.organisation_id != org.id:
            raise InvalidInput(f"campaign {item.key} belongs to another organisation")
        changes = item.model_dump(
            exclude={"key", "organisation", "currency", "status"}, exclude_unset=True
        )
        update_campaign(self.session, found, CampaignUpdate.model_validate(changes))
        if found.status != item.status.value:
            change_status(self.session, found, item.status.value)
        return False

    def _enrolment(self, campaign_key: str, influencer_key: str) -> tuple[Campaign, Influencer]:
        # Enrolments and links come after every campaign and influencer is in place and keys
        # never change: one query per key, not one per entry (a demo world has 1,300 entries).
        campaign = self.campaigns.get(campaign_key)
        if campaign is None:
            campaign = self.session.scalar(select(Campaign).where(Campaign.key == campaign_key))
            if campaign is None:
                raise InvalidInput(f"no campaign with key {campaign_key!r}")
            self.campaigns[campaign_key] = campaign
        influencer = self.influencers.get(influencer_key)
        if influencer is None:
            influencer = self.session.scalar(
                select(Influencer).where(Influencer.key == influencer_key)
            )
            if influencer is None:
                raise InvalidInput(f"no influencer with key {influencer_key!r}")
            self.influencers[influencer_key] = influencer
        return campaign, influencer

    def enrolment(self, item: Any) -> bool:
        campaign, influencer = self._enrolment(item.campaign, item.influencer)
        found = find_enrolment(self.session, campaign.id, influencer.id)
        now = self.clock.now()
        if found is None:
            found = Enrolment(
                campaign_id=campaign.id, influencer_id=influencer.id, status=item.status.value
            )
            self.session.add(found)
            self.session.flush()
            if item.status == EnrolmentStatus.APPROVED:
                found.decided_at = now
                ensure_default_link(self.session, found)
            return True
        # A world file never lifts a suspension (one its own inciting posts may have caused):
        # reinstating is an operator's explicit decision (`fairclick campaign approve`).
        lifting = found.status == EnrolmentStatus.SUSPENDED and item.status != found.status
        if found.status != item.status.value and not lifting:
            decide(self.session, found, item.status.value, now)
        return False

    def link(self, item: WorldLink) -> bool:
        campaign, influencer = self._enrolment(item.campaign, item.influencer)
        enrolment = find_enrolment(self.session, campaign.id, influencer.id)
        if enrolment is None:
            raise InvalidInput(f"{item.influencer} is not enrolled in {item.campaign}: add one")
        existing = self._existing_link(item, enrolment)
        if existing is None and enrolment.status != EnrolmentStatus.APPROVED:
            raise InvalidInput(
                f"{item.influencer}'s enrolment in {item.campaign} is {enrolment.status}, "
                "not approved: no new links"
            )
        if existing is not None:
            if existing.campaign_id != campaign.id or existing.influencer_id != influencer.id:
                raise InvalidInput(f"code {item.code} belongs to another campaign or influencer")
            post = self.session.scalar(select(Post).where(Post.link_id == existing.id))
            if post is not None and item.post is not None:
                post.url, post.posted_at = item.post.url, item.post.posted_at
                # an edited text is judged again against the incitement policy
                if item.post.text != (post.text or "") or post.incitement_label is None:
                    post.text = item.post.text
                    self.to_assess.append(post)
            return False
        if item.post is not None:
            if item.network is None:
                raise InvalidInput("a link with a post names its network")
            post = declare_post(
                self.session,
                enrolment,
                network=item.network,
                url=item.post.url,
                text=item.post.text,
                posted_at=item.post.posted_at,
                code=item.code,
            )
            self.to_assess.append(post)
        else:
            create_link(self.session, enrolment, network=item.network, code=item.code)
        return True

    def _existing_link(self, item: WorldLink, enrolment: Enrolment) -> Link | None:
        if item.code:
            return self.session.scalar(select(Link).where(Link.code == item.code))
        if item.post is not None and item.post.url:
            return self.session.scalar(
                select(Link)
                .join(Post, Post.link_id == Link.id)
                .where(Link.enrolment_id == enrolment.id, Post.url == item.post.url)
            )
        query = select(Link).where(
            Link.enrolment_id == enrolment.id,
            Link.network.is_(None) if item.network is None else Link.network == item.network.value,
        )
        return self.session.scalars(query.order_by(Link.id)).first()
