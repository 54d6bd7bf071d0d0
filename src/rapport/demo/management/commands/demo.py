"""`rapport demo [--port 8000] [--no-serve] [--no-jobs]`: migrate, seed the demo workspace, print the login, serve
(with the job runner in a thread, so SLA warnings and polling happen without a second process)."""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from rapport.core.cli import progress_bar
from rapport.core.models import Role
from rapport.core.services import create_member, get_or_create_workspace

DEMO_EMAIL = "demo@rapport.example"
ROLES = (
    ("agent@rapport.example", Role.AGENT),
    ("marketer@rapport.example", Role.MARKETER),
    ("community@rapport.example", Role.COMMUNITY_MANAGER),
    ("dpo@rapport.example", Role.DPO),
)
# The real customer-care threads (@AppleSupport, @AmazonHelp, @XboxSupport...) are other brands' conversations:
# they live in a workspace of their own, each brand on its own account, not in United's inbox.
CARE_DESK = ("care-desk", "Care desk (real brand threads)")


def demo_password() -> str:
    """RAPPORT_DEMO_PASSWORD, or a generated password kept (mode 0600) under RAPPORT_HOME."""
    if os.environ.get("RAPPORT_DEMO_PASSWORD"):
        return os.environ["RAPPORT_DEMO_PASSWORD"]
    path = settings.RAPPORT_HOME / "demo-password"
    if not path.exists():
        settings.RAPPORT_HOME.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(12))
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Set up and run the demo: migrate, seed workspace 'demo' (idempotent), print the login, serve."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up and seed, then exit")
        parser.add_argument("--no-jobs", action="store_true", help="serve without running background jobs")
        parser.add_argument("--people", type=int, default=10_000)
        parser.add_argument("--touchpoints", type=int, default=200_000)

    def handle(self, *args, port, no_serve, no_jobs, people, touchpoints, **options):
        from rapport.demo.seed import seed_bulk, seed_stories

        call_command("migrate", verbosity=0, interactive=False)
        workspace, _ = get_or_create_workspace(slug="demo", name="Rapport Demo")
        password = demo_password()
        # Demo mode: the demo password is whatever RAPPORT_DEMO_PASSWORD says (a generated one otherwise).
        create_member(email=DEMO_EMAIL, password=password, workspace=workspace, role=Role.ADMIN, check_strength=False)
        for email, role in ROLES:
            create_member(email=email, password=password, workspace=workspace, role=role, check_strength=False)
        desk, _ = get_or_create_workspace(slug=CARE_DESK[0], name=CARE_DESK[1])
        for email, role in ((DEMO_EMAIL, Role.ADMIN), *ROLES):
            create_member(email=email, password=password, workspace=desk, role=role, check_strength=False)
        stories = seed_stories(workspace=workspace)
        with progress_bar("seeding demo data", 1_000 + people + touchpoints) as advance:
            counts = seed_bulk(workspace=workspace, people=people, touchpoints=touchpoints, advance=advance)
        self.stdout.write(
            f"demo workspace ready: {stories} story people, {counts['people']} people, "
            f"{counts['organisations']} organisations, {counts['touchpoints']} touchpoints added"
        )
        # Each domain seeds its own part, in the order the product works: listening hears posts, care answers them.
        from rapport.demo.care import seed_care
        from rapport.demo.commerce import seed_and_describe
        from rapport.demo.listening import seed_listening

        heard = seed_listening(workspace)
        self.stdout.write(f"listening: {heard['stored']} posts stored, {heard['alerts']} spike alerts raised")
        from rapport.demo.duplicates import queue_likely_duplicates, seed_duplicates

        seed_duplicates(workspace=workspace)
        found, queued = queue_likely_duplicates(workspace=workspace)
        self.stdout.write(f"identity: {found} contacts in likely duplicate pairs, {queued} pairs waiting for review")
        from rapport.demo.influence import seed_influence

        seed_influence(workspace)  # scores before the inbox is triaged
        for ws, threads, brand in ((workspace, 0, "united"), (desk, 300, None)):
            cared = seed_care(ws, threads=threads, brand=brand)
            summary = ", ".join(f"{v} {k.replace(chr(95), chr(32))}" for k, v in cared.items())
            self.stdout.write(f"care inbox ({ws.name}): {summary}")
        from rapport.demo.consent import seed_consent

        self.stdout.write(
            "consent: {forms} sign-up forms, {consents} consents, {requests} privacy requests".format(
                **seed_consent(workspace)
            )
        )
        from rapport.demo.enrichment import seed_enrichment

        self.stdout.write(seed_enrichment(workspace))  # after consent: the story people allow enrichment
        self.stdout.write(seed_and_describe(workspace))
        from rapport.demo.segments import seed_segments

        self.stdout.write(f"segments: {seed_segments(workspace)}")
        from rapport.demo.community import seed_community

        self.stdout.write(seed_community(workspace))
        from rapport.demo.campaigns import seed_campaigns

        self.stdout.write(seed_campaigns(workspace))  # after the segments: it sends to one of them
        from rapport.demo.journeys import seed_journeys

        self.stdout.write(seed_journeys(workspace))  # after the campaign: its messages count against the cap
        self.stdout.write(f"Open http://127.0.0.1:{port}/ and sign in as {DEMO_EMAIL} with password {password}")
        self.stdout.write("(also agent@, marketer@, community@ and dpo@rapport.example with the same password)")
        if not no_serve:
            from django.conf import settings

            os.environ["RAPPORT_DEMO"] = "1"
            settings.DEMO_MODE = True
            call_command("serve", port=port, no_jobs=no_jobs)
