"""Demo data for the care inbox: teams, agents, SLA policies, canned replies, the story conversations, real threads."""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from rapport.care import routing, services, sla
from rapport.care.effort import compute_effort
from rapport.care.evaluate import data_path, load_rows
from rapport.care.models import (
    AgentProfile,
    CannedReply,
    Conversation,
    ConversationStatus,
    CsatResponse,
    Delivery,
    Message,
    MessageDirection,
    SLAPolicy,
    Strategy,
    Team,
)
from rapport.channels.models import Channel
from rapport.channels.services import upsert_channel
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.models import Member, Role, User, Workspace
from rapport.core.services import create_member
from rapport.identity.accounts import Account, find_or_create_identity, resolve_accounts
from rapport.identity.models import SocialIdentity

ACTOR = Actor.system("demo")
SOCIAL = ["twitter", "facebook", "instagram", "mastodon", "bluesky"]
AGENTS = [
    ("amira", ["en", "de"], "Social"),
    ("ben", ["en"], "Social"),
    ("clara", ["en", "da"], "Customer service"),
    ("dev", ["en"], "Customer service"),
    ("erik", ["en", "da", "sv"], "Customer service"),
    ("fiona", ["en"], "VIP desk"),
]
CANNED = [
    ("Apology", "Hi {{first_name}}, I'm sorry about this. I'm looking into it now and will get back to you shortly."),
    ("Move to DM", "Hi {{first_name}}, could you send us a direct message with your booking reference? {{agent_name}}"),
    ("Refund on its way", "Hi {{first_name}}, your refund has been issued and should reach your card in 3-5 days."),
    ("Thanks", "Thank you {{first_name}}, that's great to hear! We've passed it on to the team."),
]
# The demo's own sign-ins (created by `rapport demo`) and the teams that make their first screen what the role is
# for: the agent works the VIP desk and customer service (the senator, Hanne), the community manager the social
# channels.
ROLE_TEAMS = {
    "agent@rapport.example": (["VIP desk", "Customer service"], ["en", "da", "de"]),
    "community@rapport.example": (["Social"], ["en"]),
}
HANNE = [
    ("phone", "call", 12, "I'm moving to Copenhagen on the 1st and need to cancel the contract at my old address."),
    ("chat", "chat", 9, "Second time: I am moving to Copenhagen and need the contract at my old address cancelled."),
    ("email", "email", 6, "Third time asking: please cancel my contract at the old address, I'm moving to Copenhagen."),
    (
        "phone",
        "call",
        2,
        "Fourth agent now. I'm moving to Copenhagen, cancel the contract at my old address or I leave.",
    ),
]


def _setup(workspace: Workspace, *, brand: str | None = "united") -> dict[str, Team]:
    teams = {}
    for name, networks, strategy in [
        ("Social", SOCIAL, Strategy.LEAST_LOADED),
        ("Customer service", ["phone", "chat", "email"], Strategy.ROUND_ROBIN),
        ("VIP desk", [], Strategy.LEAST_LOADED),
    ]:
        teams[name], _ = Team.objects.get_or_create(
            workspace=workspace, name=name, defaults={"networks": networks, "strategy": strategy}
        )
    for handle, languages, team in AGENTS:
        email = f"{handle}@{workspace.slug}.rapport.example"
        user = User.objects.filter(email=email).first()
        if user is None or not Member.objects.filter(workspace=workspace, user=user).exists():
            user = create_member(
                email=email, password=secrets.token_urlsafe(24), workspace=workspace, role=Role.AGENT
            ).user
            user.first_name = handle.title()
            user.save(update_fields=["first_name"])
        profile, _ = AgentProfile.objects.get_or_create(
            workspace=workspace, user=user, defaults={"languages": languages, "capacity": 40}
        )
        profile.teams.add(teams[team])
    for email, (names, languages) in ROLE_TEAMS.items():
        member = Member.objects.filter(workspace=workspace, user__email=email).select_related("user").first()
        if member is None:
            continue
        profile, _ = AgentProfile.objects.get_or_create(
            workspace=workspace, user=member.user, defaults={"languages": languages, "capacity": 40}
        )
        # A desk of other brands' social threads has only social work, for every role.
        profile.teams.add(*(teams[n] for n in (names if brand else ["Social"])))
    policies = [
        (
            "VIP: 15 minutes",
            10,
            {
                "tiers": ["vip"],
                "first_response_minutes": 15,
                "next_response_minutes": 30,
                "resolution_minutes": 480,
                "warn_before_minutes": 5,
            },
        ),
        (
            "Social: first reply in 60 minutes",
            20,
            {
                "channels": SOCIAL,
                "first_response_minutes": 60,
                "next_response_minutes": 120,
                "resolution_minutes": 1440,
                "warn_before_minutes": 15,
            },
        ),
        (
            "Phone, chat and email: business hours",
            30,
            {
                "first_response_minutes": 240,
                "next_response_minutes": 240,
                "resolution_minutes": 2400,
                "warn_before_minutes": 30,
                "calendar": {"tz": "Europe/Copenhagen", "hours": {str(d): ["08:00", "18:00"] for d in range(5)}},
            },
        ),
    ]
    for name, position, values in policies:
        SLAPolicy.objects.get_or_create(workspace=workspace, name=name, defaults={"position": position, **values})
    for name, text in CANNED:
        CannedReply.objects.get_or_create(workspace=workspace, name=name, defaults={"text": text})
    for network in ("twitter", "facebook") if brand else ():
        if not Channel.objects.filter(workspace=workspace, network=network).exists():
            upsert_channel(
                workspace=workspace, actor=ACTOR, network=network, handle=brand, name=f"{brand.title()} ({network})"
            )
    return teams


def _route_unrouted(workspace: Workspace) -> int:
    """Conversations opened before the teams existed (listening seeds first) go to the team that covers them."""
    cache = routing.batch_cache()
    routed = 0
    for conv in Conversation.objects.filter(workspace=workspace, team__isnull=True).exclude(
        status=ConversationStatus.RESOLVED
    ):
        routing.auto_assign(conv, cache=cache)
        routed += conv.team_id is not None
    routing.save_positions(cache)
    return routed


def _demo_user(workspace: Workspace, email: str) -> User | None:
    member = Member.objects.filter(workspace=workspace, user__email=email).select_related("user").first()
    return member.user if member else None


def _story_message(workspace, person, *, network, kind, text, at, external_id, sentiment, now, identity=None):
    if Message.objects.filter(workspace=workspace, network=network, external_id=external_id).exists():
        return None
    conv, _ = services.open_or_join(
        workspace=workspace, person_id=person.pk, identity_id=identity, network=network, subject=text
    )
    from rapport.care.classify import classify

    c = classify(text, sentiment_label=sentiment[0], sentiment_score=sentiment[1])
    services.add_inbound(
        conversation=conv,
        network=network,
        kind=kind,
        text=text,
        created_at=at,
        external_id=external_id,
        author_label=f"{person.first_name} {person.last_name}",
        sentiment_label=sentiment[0],
        sentiment_score=sentiment[1],
        category=c.category if c.needs_response else "question",
        brand_channel=Channel.objects.filter(workspace=workspace, network=network).first(),
        now=now,
    )
    return conv


def _stories(workspace: Workspace, teams: dict[str, Team], now: datetime, brand: str | None = None) -> int:
    people = {p.external_id: p for p in Person.objects.filter(workspace=workspace, external_id__startswith="story-")}
    made = 0
    senator = people.get("story-senator")
    if senator:
        ident = SocialIdentity.objects.filter(person=senator, network="twitter").first()
        conv = _story_message(
            workspace,
            senator,
            network="twitter",
            kind="mention",
            at=now - timedelta(minutes=40),
            text="@united Refused entry to the lounge despite Gold status. An hour of useless back and forth. "
            "Unacceptable.",
            external_id="story-senator-lounge",
            sentiment=("negative", -0.86),
            now=now,
            identity=ident.pk if ident else None,
        )
        if conv:
            routing.reassign(
                conversation=conv,
                actor=ACTOR,
                team=teams["VIP desk"],
                user=_demo_user(workspace, "agent@rapport.example"),
            )
            made += 1
    hanne = people.get("story-fouragents")
    if hanne:
        # The demo's agent@ is the fourth agent: the one who finally sees all four contacts at once.
        fourth = _demo_user(workspace, "agent@rapport.example")
        agents = [
            p.user
            for p in AgentProfile.objects.filter(teams=teams["Customer service"]).select_related("user")
            if fourth is None or p.user_id != fourth.pk
        ]
        agents = sorted(agents, key=lambda u: u.pk)[:3] + ([fourth] if fourth else [])
        conv = None
        for i, (network, kind, days, text) in enumerate(HANNE):
            conv = (
                _story_message(
                    workspace,
                    hanne,
                    network=network,
                    kind=kind,
                    text=text,
                    external_id=f"story-hanne-{i}",
                    at=now - timedelta(days=days),
                    sentiment=("negative", -0.4 - 0.15 * i),
                    now=now,
                )
                or conv
            )
            if conv and agents:
                routing.reassign(conversation=conv, actor=ACTOR, user=agents[i % len(agents)])
        if conv:
            compute_effort(conv)
            made += 1
    made += _claim_story(workspace, now, brand) if brand else 0
    lukas = people.get("story-24h")
    if lukas:
        ident = SocialIdentity.objects.filter(person=lukas, network="facebook").first()
        conv = _story_message(
            workspace,
            lukas,
            network="facebook",
            kind="direct_message",
            at=now - timedelta(minutes=50),
            text="My hotel booking for Friday failed but my card was charged. Please help, I travel tomorrow.",
            external_id="story-lukas-booking",
            sentiment=("negative", -0.55),
            now=now,
            identity=ident.pk if ident else None,
        )
        if conv:
            made += 1
    return made


def _claim_story(workspace: Workspace, now: datetime, brand: str) -> int:
    """An unknown X account DMs the brand the senator's frequent-flyer number: the inbox shows a claim, not her file."""
    from rapport.identity.stream import claim_from_text

    channel = Channel.objects.filter(workspace=workspace, network="twitter", handle=brand).first()
    if channel is None or not Person.objects.filter(workspace=workspace, customer_number="FF-1000-0042").exists():
        return 0
    if Message.objects.filter(workspace=workspace, network="twitter", external_id="story-claim-dm").exists():
        return 0
    text = (
        "This is Margaret Ellison, my frequent flyer number is FF-1000-0042. Please move my Friday flight to Sunday "
        "and send the new booking here."
    )
    account = find_or_create_identity(
        workspace=workspace, network="twitter", external_id="tw-990001", handle="ellison_travels", name="M. Ellison"
    )
    conv, _ = services.open_or_join(
        workspace=workspace, person_id=None, identity_id=account.pk, network="twitter", subject=text
    )
    services.add_inbound(
        conversation=conv,
        network="twitter",
        kind="direct_message",
        text=text,
        created_at=now - timedelta(minutes=25),
        external_id="story-claim-dm",
        author_label="@ellison_travels",
        sentiment_label="neutral",
        sentiment_score=0.0,
        category="request",
        brand_channel=channel,
        now=now,
    )
    claim_from_text(workspace=workspace, identity=account, text=text, name="M. Ellison")
    return 1


def _threads(rows: list[dict], limit: int) -> list[list[dict]]:
    """Customer-care threads: a customer's first tweet followed by the answers and follow-ups that reply to it."""
    by_id = {r["tweet_id"]: r for r in rows}
    children: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["in_response_to_tweet_id"]:
            children[r["in_response_to_tweet_id"].split(".")[0]].append(r)
    threads = []
    for r in rows:
        if r["inbound"] != "True" or r["in_response_to_tweet_id"] or r["tweet_id"] not in by_id:
            continue
        thread, todo = [], [r]
        while todo:
            node = todo.pop()
            thread.append(node)
            todo.extend(children.get(node["tweet_id"], []))
        if len(thread) >= 2:
            threads.append(sorted(thread, key=lambda x: datetime.strptime(x["created_at"], "%a %b %d %H:%M:%S %z %Y")))
        if len(threads) >= limit:
            break
    return threads


def _bulk(workspace: Workspace, now: datetime, limit: int, seed: int = 7) -> int:
    if limit <= 0 or Message.objects.filter(workspace=workspace, external_id__startswith="twcs-").exists():
        return 0
    path = data_path()
    if not path.exists():
        return 0
    from rapport.listening.nlp.sentiment import score_sentiment
    from rapport.pipeline.connectors.base import tweet_text

    rng = random.Random(seed)
    # The corpus keeps Twitter's HTML escaping (&amp;); messages show the text as the customer wrote it.
    rows = [{**r, "text": tweet_text(r["text"]) if r["text"] else r["text"]} for r in load_rows(path)]
    threads = _threads(rows, limit)
    texts = [t["text"] for th in threads for t in th if t["inbound"] == "True"]
    sentiments = iter(score_sentiment(texts))
    agents = list(AgentProfile.objects.filter(workspace=workspace).select_related("user"))
    brands: dict[str, Channel] = {}
    count = 0
    for thread in threads:
        customer = thread[0]["author_id"]
        # Each thread was answered by a real brand's care account (@AppleSupport, @AmazonHelp...): the conversation
        # is that brand's, on its own account, not the workspace's default brand.
        handle = next(tw["author_id"] for tw in thread if tw["inbound"] != "True")
        if handle not in brands:
            brands[handle] = Channel.objects.filter(workspace=workspace, network="twitter", handle=handle).first() or (
                upsert_channel(workspace=workspace, actor=ACTOR, network="twitter", handle=handle, name=f"@{handle}")
            )
        account = brands[handle]
        followers = rng.choice([12, 80, 240, 900, 3100])
        (found,), _ = resolve_accounts(
            workspace_id=workspace.pk,
            accounts=[Account("twitter", f"twcs-{customer}", f"customer{customer}", "", followers)],
        )
        ident = SocialIdentity.objects.get(pk=found[0])
        start = now - timedelta(hours=rng.uniform(1, 96))
        t0 = datetime.strptime(thread[0]["created_at"], "%a %b %d %H:%M:%S %z %Y")
        conv = None
        for tw in thread:
            at = start + (datetime.strptime(tw["created_at"], "%a %b %d %H:%M:%S %z %Y") - t0)
            if tw["inbound"] == "True":
                label, score = next(sentiments)
                if conv is None:
                    conv, _ = services.open_or_join(
                        workspace=workspace, person_id=None, identity_id=ident.pk, network="twitter", subject=tw["text"]
                    )
                services.add_inbound(
                    conversation=conv,
                    network="twitter",
                    kind="mention",
                    text=tw["text"],
                    created_at=at,
                    external_id=f"twcs-{tw['tweet_id']}",
                    author_label=ident.handle,
                    sentiment_label=label,
                    sentiment_score=score,
                    category="question",
                    brand_channel=account,
                    now=now,
                )
            elif conv is not None:
                agent = conv.assignee or (rng.choice(agents).user if agents else None)
                Message.objects.create(
                    workspace=workspace,
                    conversation=conv,
                    network="twitter",
                    kind="reply",
                    external_id=f"twcs-{tw['tweet_id']}",
                    direction=MessageDirection.OUTBOUND,
                    text=tw["text"],
                    created_at=at,
                    author_user=agent,
                    author_label=agent.email if agent else tw["author_id"],
                    brand_channel=account,
                    delivery_status=Delivery.SENT,
                    attempts=1,
                )
                conv.first_response_at = conv.first_response_at or at
                conv.last_outbound_at = at
                conv.save(update_fields=["first_response_at", "last_outbound_at"])
                sla.on_outbound(conversation=conv, at=at)
        if conv is None:
            continue
        count += 1
        if conv.last_outbound_at and rng.random() < 0.6:
            services.resolve(conversation=conv, actor=ACTOR, now=max(now - timedelta(minutes=5), conv.last_outbound_at))
            if rng.random() < 0.4:
                CsatResponse.objects.create(
                    workspace=workspace, conversation=conv, score=rng.choice([2, 3, 4, 4, 5, 5])
                )
    return count


def seed_care(
    workspace: Workspace, *, threads: int = 300, brand: str | None = "united", now: datetime | None = None
) -> dict[str, int]:
    """Idempotently add teams, agents, SLA policies, canned replies, story conversations and real care threads.

    brand is the workspace's own brand account (United in the demo); the real threads keep the brands that
    answered them, each on its own account.
    """
    now = now or timezone.now().astimezone(UTC)
    with transaction.atomic():
        teams = _setup(workspace, brand=brand)
        routed = _route_unrouted(workspace)
        stories = _stories(workspace, teams, now, brand)
        bulk = _bulk(workspace, now, threads)
        warnings = sla.check_slas(now=now, workspace_id=workspace.pk)
    return {
        "story_conversations": stories,
        "thread_conversations": bulk,
        "routed": routed,
        **warnings,
        "open": Conversation.objects.filter(workspace=workspace).exclude(status=ConversationStatus.RESOLVED).count(),
    }
