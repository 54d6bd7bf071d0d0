"""Demo community (A1's story): categories per device, questions and answers, and kohlmark, the iPhone 5 expert,
with accepted answers that make him the hero of last month."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from rapport.community import services
from rapport.community.models import Category, CommunityMember, CommunitySettings
from rapport.core.models import Workspace

CATEGORIES = [
    ("iphone-5", "iPhone 5", "Apple iPhone 5: charging, battery, SIM and updates"),
    ("fibre", "Fibre and installations", "Lines, routers and installation appointments"),
    ("mobile-plans", "Mobile plans", "Tariffs, roaming and bills"),
]

MEMBERS = [
    ("kohlmark", "Back after my wedding in two weeks: sorry for the absence!"),
    ("linesmith", ""),
    ("roamer", ""),
    ("newcomer", ""),
    ("daisy_h", ""),
]

# (category, asker, title, body, answerer, answer, helpful voters, accepted, days ago)
THREADS = [
    (
        "iphone-5",
        "newcomer",
        "iPhone 5 will not charge any more",
        "It stopped charging overnight, cable is fine.",
        "kohlmark",
        "Clean the Lightning port gently with a wooden toothpick: lint blocks the contacts.",
        ["roamer", "daisy_h"],
        True,
        0,
    ),
    (
        "iphone-5",
        "daisy_h",
        "Battery drains fast after the update",
        "Since iOS update it is empty by noon.",
        "kohlmark",
        "Settings > General > Background App Refresh: switch it off for apps you do not need.",
        ["newcomer", "linesmith"],
        True,
        3,
    ),
    (
        "iphone-5",
        "roamer",
        "Nano SIM does not fit in the iPhone 5",
        "The shop gave me a micro SIM.",
        "kohlmark",
        "The iPhone 5 takes a nano SIM: any A1 shop swaps it for free and keeps your number.",
        ["daisy_h"],
        True,
        6,
    ),
    (
        "iphone-5",
        "linesmith",
        "No 4G on my iPhone 5",
        "It only shows 3G.",
        "roamer",
        "Check Settings > Mobile Data > Enable LTE.",
        [],
        False,
        2,
    ),
    (
        "fibre",
        "newcomer",
        "Router blinks red after installation",
        "The technician left an hour ago.",
        "linesmith",
        "Red blinking means no sync: check the fibre cable is clicked into the wall box.",
        ["kohlmark"],
        True,
        5,
    ),
    (
        "mobile-plans",
        "kohlmark",
        "Roaming in Croatia for the honeymoon",
        "Which add-on is best for two weeks?",
        "roamer",
        "The EU roaming rules apply: your plan works at home prices.",
        ["daisy_h"],
        True,
        4,
    ),
]


def seed_community(workspace: Workspace) -> str:
    """Seed once (idempotent by category): returns a one-line summary for the demo command."""
    if Category.objects.filter(workspace=workspace).exists():
        return "community: already seeded"
    cats = {
        slug: Category.objects.create(workspace=workspace, slug=slug, name=name, description=desc)
        for slug, name, desc in CATEGORIES
    }
    # The demo's members are its long-standing regulars: their threads go up as they were, then the community's
    # default rules (new members' first posts wait for a moderator) apply to everyone who joins in the demo.
    rules, _ = CommunitySettings.objects.update_or_create(workspace=workspace, defaults={"moderate_first_posts": False})
    members: dict[str, CommunityMember] = {}
    for handle, away in MEMBERS:
        members[handle] = services.join(
            workspace=workspace,
            handle=handle,
            email=f"{handle}@community.example",
            password=None,  # demo members sign in through a reset; no guessable password is set
            away_notice=away,
        )
    # Last month's middle: kohlmark's accepted answers make him the hero of the month.
    first_of_month = timezone.localdate().replace(day=1)
    mid_last = timezone.make_aware(datetime.combine(first_of_month - timedelta(days=15), time(12)))
    for slug, asker, title, body, who, text, voters, accepted, days in THREADS:
        at = mid_last - timedelta(days=days)
        q = services.ask(author=members[asker], category=cats[slug], title=title, body=body)
        a = services.answer(question=q, author=members[who], body=text, now=at)
        for v in voters:
            services.vote_helpful(answer=a, voter=members[v], now=at + timedelta(hours=1))
        if accepted:
            services.accept(answer=a, by_member=members[asker], now=at + timedelta(hours=2))
    rules.moderate_first_posts = True
    rules.save(update_fields=["moderate_first_posts"])
    # Someone new: their first post (with a shop link) waits in the moderation queue for the community manager.
    newbie = services.join(
        workspace=workspace, handle="bargain_bob", email="bargain_bob@community.example", password=None
    )
    services.ask(
        author=newbie,
        category=cats["iphone-5"],
        title="Cheap iPhone 5 batteries?",
        body="Found these for 5 euros at https://bargain-batteries.example: are they any good?",
    )
    hero = services.hero(workspace=workspace)
    return (
        f"community: {len(cats)} categories, {len(members)} members, {len(THREADS)} questions; "
        f"hero of {hero.month}: {hero.member.handle}"
        if hero
        else "community: seeded"
    )
