"""Email end to end: a signed inbound email from a known customer opens her conversation; the agent's reply goes
out over SMTP in her thread (a real SMTP server on loopback)."""

import time
from pathlib import Path

import pytest
from django.test import Client
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.care import replies
from rapport.care.models import Conversation, Message
from rapport.channels.services import upsert_channel, webhook_path
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.pipeline.connectors.generic.webhook import sign

pytestmark = pytest.mark.django_db(transaction=True)
RAW = (
    Path(__file__).resolve().parents[2] / "pipeline" / "connectors" / "email" / "fixtures" / "reply.eml"
).read_bytes()


def post_email(channel, body: bytes, secret: str = "inbound-secret"):
    stamp = int(time.time())
    return Client().post(
        webhook_path(channel),
        body,
        content_type="message/rfc822",
        HTTP_X_RAPPORT_TIMESTAMP=str(stamp),
        HTTP_X_RAPPORT_SIGNATURE=sign(body, timestamp=stamp, secret=secret),
    )


def test_email_in_opens_the_known_persons_conversation_and_the_reply_goes_out_threaded(
    workspace,
    member_factory,
    settings,
    fake_smtp,  # noqa: F811
):
    settings.RAPPORT_EMAIL_AUTHSERV_IDS = ["mx.acme.example"]  # the receiving server that verified Ana's DMARC
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system("t"),
        network="email",
        handle="care@acme.example",
        name="Care",
        credentials={
            "secret": "inbound-secret",
            "smtp_host": "127.0.0.1",
            "smtp_port": str(fake_smtp.port),
            "smtp_starttls": "0",
            "from_address": "care@acme.example",
        },
    )
    ana = create_person(
        workspace=workspace,
        actor=Actor.system("t"),
        data={"first_name": "Ana", "last_name": "Lopez", "email": "ana.lopez@mail.example"},
    )
    assert post_email(channel, RAW, secret="wrong").status_code == 401
    assert not Conversation.objects.exists()
    response = post_email(channel, RAW)
    assert response.status_code == 200, response.content
    conv = Conversation.objects.get(workspace=workspace)
    assert conv.person_id == ana.pk and conv.channel == "email"
    inbound = Message.objects.get(conversation=conv, direction="inbound")
    assert inbound.external_id == "<CAF7x9y2@mail.example>" and "refund still hasn" in inbound.text
    agent = member_factory(workspace, Role.AGENT).user
    sent = replies.reply(conversation=conv, agent=agent, text="We have chased the refund; it lands tomorrow.")
    sent.refresh_from_db()
    assert sent.delivery_status == "sent", sent.last_error
    (mail,) = fake_smtp.messages
    assert mail["To"] == "ana.lopez@mail.example" and mail["In-Reply-To"] == "<CAF7x9y2@mail.example>"
    assert mail["Subject"] == "Re: Your booking 4471" and sent.external_id == mail["Message-ID"]


def test_an_unreadable_signed_email_is_dead_lettered_not_lost(workspace):
    from rapport.pipeline.models import DeadLetter

    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system("t"),
        network="email",
        handle="care@acme.example",
        name="Care",
        credentials={"secret": "inbound-secret"},
    )
    response = post_email(channel, b"Subject: no sender\n\nhello")
    assert response.status_code == 202
    letter = DeadLetter.objects.get(pk=response.json()["dead_letter_id"])
    assert letter.reason.startswith("From") and "no sender" in letter.payload


def test_a_polled_imap_mailbox_opens_conversations_and_keeps_unreadable_mail(workspace, settings):
    from tests.fakes.imap import FakeImap
    from tests.fakes.server import allow_loopback

    from rapport.channels.polling import poll_channel
    from rapport.pipeline.models import DeadLetter

    ana = create_person(
        workspace=workspace,
        actor=Actor.system("t"),
        data={"first_name": "Ana", "last_name": "Lopez", "email": "ana.lopez@mail.example"},
    )
    allow_loopback(settings)
    settings.RAPPORT_EMAIL_AUTHSERV_IDS = ["MX.acme.example"]
    with FakeImap() as imap:
        channel = upsert_channel(
            workspace=workspace,
            actor=Actor.system("t"),
            network="email",
            handle="care@acme.example",
            name="Care",
            credentials={"imap_password": "imap-pass"},
        )
        channel.config = {"imap_host": "127.0.0.1", "imap_port": imap.port, "imap_ssl": False}
        channel.save()
        imap.deliver(RAW)
        imap.deliver(b"Subject: no sender\r\n\r\nhello")
        poll_channel(channel)
        poll_channel(channel)  # the second poll finds nothing new
    conv = Conversation.objects.get(workspace=workspace)
    assert conv.person_id == ana.pk and conv.messages.count() == 1
    assert DeadLetter.objects.get(workspace=workspace).reason.startswith("From")


@pytest.mark.parametrize("trusted", [[], ["mx.other.example"]])
def test_an_email_no_trusted_server_verified_only_claims_to_be_from_the_customer(workspace, settings, trusted):
    """From: is easy to forge: without a trusted receiving server's verdict the sender address is a claim."""
    from rapport.identity.models import IdentityClaim

    settings.RAPPORT_EMAIL_AUTHSERV_IDS = trusted
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system("t"),
        network="email",
        handle="care@acme.example",
        name="Care",
        credentials={"secret": "inbound-secret"},
    )
    ana = create_person(
        workspace=workspace,
        actor=Actor.system("t"),
        data={"first_name": "Ana", "last_name": "Lopez", "email": "ana.lopez@mail.example"},
    )
    assert post_email(channel, RAW).status_code == 200
    conv = Conversation.objects.get(workspace=workspace)
    assert conv.person_id is None and conv.identity.handle == "ana.lopez@mail.example"
    claim = IdentityClaim.objects.get(identity=conv.identity)
    assert (claim.person_id, claim.how, claim.status) == (ana.pk, "email", "pending")
