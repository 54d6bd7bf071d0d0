"""What the load run does inside its fresh install: seed the workspace, and count what arrived at the end.

Run as `python -m rapport.demo.load.inside seed|count ...` with RAPPORT_HOME pointing at the fresh install, so the
orchestrating process never opens that database itself; prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys

WORKSPACE = "load"
BRAND = "loadbrand"


def seed(*, agents: int, marketers: int, password: str, people: int) -> dict:
    """The load workspace: agents, marketers, a brand account to address, a signed generic feed, people to find."""
    from faker import Faker

    from rapport.care.models import SLAPolicy
    from rapport.channels.services import upsert_channel
    from rapport.contacts.models import Person
    from rapport.contacts.services import create_person
    from rapport.core.actors import Actor
    from rapport.core.models import Member, Role, User
    from rapport.core.services import create_member, get_or_create_workspace, issue_token

    ws, _ = get_or_create_workspace(slug=WORKSPACE, name="Load")
    actor = Actor.system("load")
    # One password hash for everybody (hashing is slow on purpose), and agents already signed in: an open inbox is
    # what is measured, not 200 sign-ins at once.
    first = create_member(email="agent0@load.example", password=password, workspace=ws, role=Role.AGENT).user
    sessions = [_session(first, ws)]
    for i in range(1, agents):
        user, _ = User.objects.get_or_create(email=f"agent{i}@load.example", defaults={"password": first.password})
        Member.objects.update_or_create(workspace=ws, user=user, defaults={"role": Role.AGENT})
        sessions.append(_session(user, ws))
    tokens = []
    for i in range(marketers):
        user, _ = User.objects.get_or_create(email=f"marketer{i}@load.example", defaults={"password": first.password})
        Member.objects.update_or_create(workspace=ws, user=user, defaults={"role": Role.MARKETER})
        tokens.append(issue_token(email=user.email, password=password, workspace_slug=WORKSPACE, name="load")[0])
    # No credentials on the brand account: replies are recorded and never sent to the real network.
    upsert_channel(workspace=ws, actor=actor, network="twitter", handle=BRAND, name=BRAND, external_id="tw-brand")
    secret = secrets.token_urlsafe(32)
    feed = upsert_channel(
        workspace=ws,
        actor=actor,
        network="generic",
        handle="load-feed",
        name="load feed",
        credentials={"secret": secret},
    )
    SLAPolicy.objects.get_or_create(workspace=ws, name="Social", defaults={"first_response_minutes": 60})
    fake = Faker(["en_GB", "da_DK", "de_DE"])
    fake.seed_instance(7)
    for i in range(people):  # through the service, so search keys are what a real import writes
        data = {"first_name": fake.first_name(), "last_name": fake.last_name(), "email": f"p{i}@people.example"}
        create_person(workspace=ws, actor=actor, data=data)
    surnames = sorted(set(Person.objects.filter(workspace=ws).values_list("last_name", flat=True)))[:200]
    return {
        "workspace": WORKSPACE,
        "webhook_key": feed.webhook_key,
        "secret": secret,
        "surnames": surnames,
        "sessions": sessions,
        "tokens": tokens,
    }


def _session(user, workspace) -> str:
    """A signed-in session in the workspace, as the sign-in page leaves it; its cookie value."""
    from django.conf import settings
    from django.test import Client

    from rapport.core.middleware import SESSION_KEY

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_KEY] = workspace.pk
    session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def count(*, prefix: str) -> dict:
    """Posts stored and routed (inbound messages) for this run, and whether any was stored or routed twice."""
    from django.db.models import Count

    from rapport.care.models import Message, MessageDirection
    from rapport.listening.models import Post
    from rapport.pipeline.models import DeadLetter

    posts = Post.objects.filter(workspace__slug=WORKSPACE, external_id__startswith=prefix)
    msgs = Message.objects.filter(
        workspace__slug=WORKSPACE, direction=MessageDirection.INBOUND, external_id__startswith=prefix
    )
    doubled = msgs.values("external_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "stored": posts.count(),
        "stored_distinct": posts.values("external_id").distinct().count(),
        "routed": msgs.values("external_id").distinct().count(),
        "routed_twice": doubled,
        "dead_letters": DeadLetter.objects.filter(workspace__slug=WORKSPACE).count(),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="rapport.demo.load.inside")
    sub = parser.add_subparsers(dest="what", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--agents", type=int, required=True)
    s.add_argument("--marketers", type=int, required=True)
    s.add_argument("--people", type=int, default=500)
    c = sub.add_parser("count")
    c.add_argument("--prefix", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    if args.what == "seed":
        out = seed(
            agents=args.agents,
            marketers=args.marketers,
            password=sys.stdin.readline().strip(),
            people=args.people,
        )
    else:
        out = count(prefix=args.prefix)
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
