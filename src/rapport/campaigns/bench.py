"""`rapport bench campaigns`: render, consent-check and hand personalised campaign emails to a local SMTP sink
through the real sending job (claim, send, record, touchpoint), beside the transport floor measured in the same run:
the same number of one fixed, pre-built message handed to the same sink with no rendering, checks or bookkeeping.
The send runs twice, unsigned and then DKIM-signed (a 2048-bit RSA key made for the run), to show what signing costs.

Then the journey engine (`--journey-events N`, 0 to skip): N people's trigger events processed end to end (the
outbox, enrolment, the leased walk through a consent branch to a wait), as segments announce them (`segment.entered`,
1,000 people a row) and one event per person (a life event each), beside the baseline of the same events delivered
by the outbox to a handler that does nothing."""

from __future__ import annotations

import socketserver
import threading
import time

from django.core.mail import EmailMessage, get_connection
from django.test.utils import override_settings
from django.urls import get_resolver

from rapport.campaigns import mail, sending, services
from rapport.campaigns.models import Campaign, MailSettings
from rapport.consent import services as consent
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.services import get_or_create_workspace
from rapport.segments import services as segments
from rapport.segments.models import Segment

NAME = "campaigns"
GOAL_PER_S = 1000
ACTOR = Actor.system("bench")


class _Sink(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept and drop messages."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink\r\n")
        data = False
        for line in self.rfile:
            if data:
                if line == b".\r\n":
                    data = False
                    self.wfile.write(b"250 ok\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO" or verb == b"HELO":
                self.wfile.write(b"250 sink\r\n")
            elif verb == b"DATA":
                data = True
                self.wfile.write(b"354 go\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def add_arguments(parser) -> None:
    parser.add_argument("--people", type=int, default=2000, help="people in the campaign's audience")
    parser.add_argument("--workspace", default="bench-campaigns")
    parser.add_argument("--journey-events", type=int, default=5000, help="trigger events for the journey engine")
    parser.add_argument("--journeys-only", action="store_true", help="skip the campaign send")


def _setup(slug: str, people: int, write):
    ws = get_or_create_workspace(slug=slug, name="Campaign bench")[0]
    Campaign.objects.filter(workspace=ws).delete()
    Segment.objects.filter(workspace=ws).delete()
    Person.objects.filter(workspace=ws).delete()
    start = time.perf_counter()
    Person.objects.bulk_create(
        [
            Person(
                workspace=ws,
                first_name=f"P{i}",
                last_name="Bench",
                email=f"p{i}@bench.example",
                tags=["bench"],
                search_text=f"p{i} bench #bench ",  # as contacts keeps it: the tag filter reads it
            )
            for i in range(people)
        ],
        batch_size=5000,
    )
    for p in Person.objects.filter(workspace=ws).iterator():
        consent.record(p, "newsletter", granted=True, channel="email", source="import")
    seg = segments.create_segment(
        workspace=ws,
        actor=ACTOR,
        data={"name": "all", "definition": {"field": "tags", "op": "contains", "value": "bench"}},
    )
    write(f"  {people:,} people with consent and a segment in {time.perf_counter() - start:.1f} s")
    return ws, seg


def run(options: dict, write) -> None:
    if not options.get("journeys_only"):
        _campaign(options, write)
    if options.get("journey_events", 0) > 0:
        _journeys(options, write)


JOURNEY_GOAL_PER_S = 10_000


def _noop(event: str, payload: dict) -> None:
    return None


def _journeys(options: dict, write) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from rapport.campaigns import journeys, journeys_engine
    from rapport.campaigns.models import Enrolment, Journey
    from rapport.core.events import emit, subscribe, unsubscribe

    n = options["journey_events"]
    ws, seg = _setup(options["workspace"] + "-journeys", n, write)
    ids = list(Person.objects.filter(workspace=ws).order_by("pk").values_list("pk", flat=True))
    steps = [
        {
            "type": "branch",
            "condition": {"kind": "consent", "purpose": "newsletter", "channel": "email"},
            "else": "exit",
        },
        {"type": "wait", "days": 1},
    ]
    Journey.objects.filter(workspace=ws).delete()
    by_segment = journeys.create_journey(
        workspace=ws,
        actor=ACTOR,
        data={
            "name": "bench",
            "trigger": "segment_entered",
            "trigger_config": {"segment_id": seg.pk},
            "steps": steps,
            "status": "active",
        },
    )
    now = timezone.now()

    def walk() -> int:
        done = 0
        while True:
            r = journeys_engine.tick(now=now + timedelta(seconds=1), workspace_id=ws.pk)
            done += r["moved"]
            if not r["moved"]:
                return done

    start = time.perf_counter()
    for i in range(0, n, 1000):
        emit("segment.entered", {"workspace_id": ws.pk, "segment_id": seg.pk, "person_ids": ids[i : i + 1000]})
    enrolled = Enrolment.objects.filter(journey=by_segment).count()
    walked = walk()
    batched = time.perf_counter() - start
    write(
        f"journey engine, segment.entered (1,000 a row): {enrolled:,} enrolled and {walked:,} walked in {batched:.2f} s"
        f" = {enrolled / batched:,.0f} events/s (goal >= {JOURNEY_GOAL_PER_S:,}/s "
        f"{'MET' if enrolled / batched >= JOURNEY_GOAL_PER_S else 'NOT MET'})"
    )
    Journey.objects.filter(pk=by_segment.pk).update(status="paused")
    per_person = journeys.create_journey(
        workspace=ws,
        actor=ACTOR,
        data={"name": "bench life", "trigger": "life_event", "steps": steps, "status": "active"},
    )
    start = time.perf_counter()
    for pid in ids:
        emit(
            "consent.life_event_detected",
            {
                "workspace_id": ws.pk,
                "person_id": pid,
                "value": "new_job",
                "event_date": "2030-01-01",
                "source_post": None,
            },
        )
    enrolled = Enrolment.objects.filter(journey=per_person).count()
    walk()
    single = time.perf_counter() - start
    write(
        f"journey engine, one event per person (life events): {enrolled:,} in {single:.2f} s = "
        f"{enrolled / single:,.0f} events/s"
    )
    subscribe("bench.nothing", _noop)
    try:
        start = time.perf_counter()
        for pid in ids:
            emit("bench.nothing", {"workspace_id": ws.pk, "person_id": pid})
        floor = n / (time.perf_counter() - start)
    finally:
        unsubscribe("bench.nothing", _noop)
    write(f"  baseline: the same {n:,} events through the outbox to a handler that does nothing: {floor:,.0f} events/s")


def _campaign(options: dict, write) -> None:
    people = options["people"]
    server = _Server(("127.0.0.1", 0), _Sink)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ):
            ws, seg = _setup(options["workspace"], people, write)
            # Baseline: the transport floor.
            conn = get_connection()
            conn.open()
            msgs = [EmailMessage("Hi", "Hello", "bench@localhost", [f"p{i}@bench.example"]) for i in range(people)]
            start = time.perf_counter()
            conn.send_messages(msgs)
            floor = people / (time.perf_counter() - start)
            conn.close()
            get_resolver().url_patterns  # noqa: B018 - load the URLconf (unsubscribe links) as a running worker has
            runs = {}
            MailSettings.objects.filter(workspace=ws).delete()
            runs["off"] = _send_once(ws, seg, "bench")
            mail.save_settings(
                workspace_id=ws.pk,
                data={"dkim_domain": "bench.example", "dkim_selector": "bench", "generate_key": True},
            )
            runs["on"] = _send_once(ws, seg, "bench dkim")
            MailSettings.objects.filter(workspace=ws).delete()
    finally:
        server.shutdown()
        server.server_close()
    (sent, seconds), (sent_dkim, seconds_dkim) = runs["off"], runs["on"]
    rate = sent / seconds if seconds else 0.0
    rate_dkim = sent_dkim / seconds_dkim if seconds_dkim else 0.0
    write(
        f"campaign send (resolve, consent per chunk and per person, render, SMTP, record, touchpoint): "
        f"{sent:,} in {seconds:.2f} s = {rate:,.0f}/s "
        f"(goal >= {GOAL_PER_S:,}/s {'MET' if rate >= GOAL_PER_S else 'NOT MET'})"
    )
    write(f"  baseline: one fixed message over the same SMTP sink, nothing else: {floor:,.0f}/s")
    per = (seconds_dkim - seconds) / sent_dkim * 1000 if sent_dkim else 0.0
    write(
        f"  with DKIM (rsa-sha256, 2048-bit, relaxed/relaxed, dkimpy): {sent_dkim:,} in {seconds_dkim:.2f} s = "
        f"{rate_dkim:,.0f}/s, {rate_dkim / rate if rate else 0:.2f}x the unsigned rate ({per:.2f} ms a message more)"
    )


def _send_once(ws, seg, name: str) -> tuple[int, float]:
    """One campaign to the whole segment through the real sending job: (sent, seconds)."""
    campaign = services.create_campaign(
        workspace=ws,
        actor=ACTOR,
        data={
            "name": name,
            "segment_ids": [seg.pk],
            "channel": "email",
            "purpose": "newsletter",
            "subject": "Hello {{ first_name }}",
            "body": "Dear {{ name }},\n\n{% if city %}News from {{ city }}.{% else %}News.{% endif %}",
        },
    )
    Campaign.objects.filter(pk=campaign.pk).update(status="queued")
    start = time.perf_counter()
    result = sending.run(campaign.pk)
    return result["sent"], time.perf_counter() - start
