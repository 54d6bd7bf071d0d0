"""Test sends: a campaign's message (or a journey email step's) rendered as a chosen person and sent to chosen
addresses before it goes for real. A test is marked (a "[Test]" subject and an X-Rapport-Test header), signed like
the real mail, and leaves no trace in the figures: no send row, no timeline entry, not counted by the frequency cap,
not held by quiet hours. Its unsubscribe link is a placeholder (the real one would unsubscribe the person it was
rendered as), and its links are left as written."""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import get_connection

from rapport.campaigns import journeys_engine, mail, sending
from rapport.campaigns.models import Campaign, Journey
from rapport.campaigns.rendering import compile_template, context_for, render
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.services import record_audit

MAX_ADDRESSES = 10
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
TEST_HEADER = "X-Rapport-Test"


class MailServerDown(Exception):
    """The mail server could not be reached or refused the test."""


@dataclass
class TestResult:
    to: list[str]
    subject: str
    as_person: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"to": self.to, "subject": self.subject, "as_person": self.as_person}


def _addresses(to: list[str] | str | None, person: Person | None) -> list[str]:
    if isinstance(to, str):
        to = [a for a in re.split(r"[,;\s]+", to) if a]
    to = [a.strip() for a in (to or []) if a and a.strip()]
    if not to and person is not None and person.email:
        to = [person.email]
    if not to:
        raise FieldErrors({"to": "name an address to send the test to (or a person with one)"})
    if len(to) > MAX_ADDRESSES:
        raise FieldErrors({"to": f"at most {MAX_ADDRESSES} addresses a test"})
    bad = [a for a in to if not _EMAIL.match(a)]
    if bad:
        raise FieldErrors({"to": f"not an email address: {', '.join(bad[:3])}"})
    return list(dict.fromkeys(to))


def _person(workspace_id: int, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    p = Person.objects.filter(workspace_id=workspace_id, pk=person_id, merged_into__isnull=True).first()
    if p is None:
        raise FieldErrors({"person_id": f"unknown person {person_id}"})
    return p


def _send(workspace_id: int, subject: str, body: str, to: list[str]) -> None:
    sender = sending.sender_for(workspace_id)
    footer = "\n\n--\nTo stop receiving these messages: (each recipient's own one-click link goes here)\n"
    connection = get_connection()
    try:
        connection.open()
        for address in to:
            msg = mail.new_message(
                f"[Test] {subject}",
                body + footer,
                settings.DEFAULT_FROM_EMAIL,
                [address],
                headers={TEST_HEADER: "yes", "Message-ID": mail.message_id("t", 0, sender.domain)},
                connection=connection,
                signer=sender.signer,
            )
            msg.send()
    except (smtplib.SMTPException, OSError) as exc:
        raise MailServerDown(f"mail server: {exc}") from exc
    finally:
        connection.close()


def _audit(workspace, actor: Actor, kind: str, pk: int, result: TestResult) -> None:
    record_audit(
        workspace=workspace,
        actor=actor,
        action=f"{kind}.test_sent",
        object_type=kind,
        object_id=pk,
        after={"recipients": len(result.to), "as_person": result.as_person, "subject": result.subject},
    )


def campaign_test(
    *, campaign: Campaign, actor: Actor, to=None, person_id: int | None = None, variant: str | None = None
) -> TestResult:
    """Send the campaign (variant "A" or a named one) to `to`, rendered as the person (default: the first member of
    its segments, or nobody: the template's blanks stay blank)."""
    from rapport.campaigns import services

    person = _person(campaign.workspace_id, person_id)
    if person is None and person_id is None:
        ids = services.member_ids(campaign)[:1]
        person = Person.objects.filter(pk__in=ids).first()
    to = _addresses(to, person if person_id is not None else None)
    names = {"A"} | {v.get("name") for v in campaign.variants or []}
    if variant and variant not in names:
        raise FieldErrors({"variant": f"unknown variant {variant!r}: one of {', '.join(sorted(names))}"})
    chosen = next((v for v in sending.variants_of(campaign) if v.name == (variant or "A")), None)
    ctx = context_for(person) if person is not None else {}
    subject = " ".join(render(chosen.subject, ctx).split())[:300]
    body = render(chosen.body, ctx)
    _send(campaign.workspace_id, subject, body, to)
    result = TestResult(to, f"[Test] {subject}", person.pk if person else None)
    _audit(campaign.workspace, actor, "campaign", campaign.pk, result)
    return result


def journey_test(*, journey: Journey, step_id: str, actor: Actor, to=None, person_id: int | None = None) -> TestResult:
    """Send one email (or invitation) step of a journey to `to`, rendered as the person (trigger fields blank)."""
    step = next((s for s in journey.steps or [] if s.get("id") == step_id), None)
    if step is None:
        raise FieldErrors({"step_id": f"unknown step {step_id!r}"})
    if step.get("type") not in ("email", "invite"):
        raise FieldErrors({"step_id": f"step {step_id!r} is a {step.get('type')} step, not an email"})
    person = _person(journey.workspace_id, person_id)
    to = _addresses(to, person)
    ctx = context_for(person) if person is not None else {}
    ctx |= {"event_date": "", "life_event": "", "community_url": journeys_engine.community_url(journey.workspace.slug)}
    subject = " ".join(render(compile_template(step.get("subject", "")), ctx).split())[:300]
    body = render(compile_template(step.get("body", "")), ctx)
    _send(journey.workspace_id, subject, body, to)
    result = TestResult(to, f"[Test] {subject}", person.pk if person else None)
    _audit(journey.workspace, actor, "journey", journey.pk, result)
    return result
