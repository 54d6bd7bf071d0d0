"""Email in (raw MIME to a post) and out (SMTP replies threaded by In-Reply-To) against a real local SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.fakes.imap import fake_imap  # noqa: F401 - fixture
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.pipeline.connectors.base import ConnectorError, PayloadError
from rapport.pipeline.connectors.email import SmtpClient, message_to_post
from rapport.pipeline.connectors.email.normalise import synthesized_message_id

FIXTURES = Path(__file__).resolve().parents[1] / "email" / "fixtures"


def test_a_reply_email_becomes_a_threaded_private_message():
    post = message_to_post((FIXTURES / "reply.eml").read_bytes())
    assert post["network"] == "email" and post["kind"] == "direct_message"
    assert post["external_id"] == "<CAF7x9y2@mail.example>"
    assert post["author"] == {
        "external_id": "ana.lopez@mail.example",
        "handle": "ana.lopez@mail.example",
        "name": "Ana Lopez",
        "followers": None,
    }
    assert post["created_at"] == "2026-11-22T06:15:02Z"
    assert post["in_reply_to"] == "<reply-1@acme.example>" and post["thread_id"] == "<first-1@mail.example>"
    assert post["text"] == "Re: Your booking 4471\n\nThe refund still hasn\u2019t arrived. Can you check?"
    assert post["raw"]["sender_authenticated_by"] == "mx.acme.example"  # DMARC passed for the From domain


def _auth(results: str, sender: str = "Ana Lopez <ana@mail.example>", extra: str = "") -> bytes:
    return (
        f"Authentication-Results: {results}\n{extra}From: {sender}\nMessage-ID: <m1@mail.example>\n"
        "Date: Sun, 22 Nov 2026 07:15:02 +0100\nSubject: hi\n\nhello"
    ).encode()


@pytest.mark.parametrize(
    ("raw", "verified_by"),
    [
        (_auth("mx.acme.example; dmarc=pass header.from=mail.example"), "mx.acme.example"),
        (_auth("mx.acme.example; dkim=pass header.d=mail.example"), "mx.acme.example"),
        (_auth("mx.acme.example; dkim=pass header.i=@mail.example"), "mx.acme.example"),
        (_auth("mx.acme.example (v=1); dkim=pass (2048-bit) header.d=example"), "mx.acme.example"),  # a parent domain
        (_auth("mx.acme.example; spf=pass smtp.mailfrom=mail.example"), ""),  # SPF alone is not about From
        (_auth("mx.acme.example; dkim=pass header.d=spammer.example"), ""),  # signed, by somebody else
        (_auth("mx.acme.example; dkim=pass header.d=ail.example"), ""),  # not a parent: a suffix of the name
        (_auth("mx.acme.example; dmarc=fail header.from=mail.example"), ""),
        (_auth("mx.acme.example; dmarc=pass header.from=other.example"), ""),
        (_auth("mx.acme.example; dmarc=none"), ""),
        (_auth("mx.acme.example; dmarc=pass", sender="<>", extra="Reply-To: ana@mail.example\n"), ""),  # not From
        # Only the top header counts: the one the receiving server added. Lower ones came with the mail.
        (
            _auth("mx.acme.example; dmarc=fail", extra="Authentication-Results: forged.example; dmarc=pass\n"),
            "",
        ),
        (b"From: ana@mail.example\nMessage-ID: <x@y>\n\nno results at all", ""),
    ],
)
def test_the_sender_counts_as_verified_only_by_the_top_aligned_result(raw, verified_by):
    post = message_to_post(raw)
    assert post["raw"].get("sender_authenticated_by", "") == verified_by


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "body"),
        (b"Subject: hi\nMessage-ID: <a@b>\nDate: Sun, 22 Nov 2026 07:15:02 +0100\n\nhello", "From"),
        (b"From: MAILER DAEMON <>\nMessage-ID: <a@b>\n\nbounced", "From"),
    ],
)
def test_mail_that_cannot_become_a_message_is_refused_naming_the_header(raw, field):
    with pytest.raises(PayloadError, match=f"^{field}"):
        message_to_post(raw)


def test_a_missing_message_id_is_synthesized_stably_and_a_missing_date_is_the_arrival():
    raw = b"From: a@b.example\nSubject: hello\n\nWhere is my order?"
    arrived = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    first, again = message_to_post(raw, received_at=arrived), message_to_post(raw)
    assert first["external_id"] == again["external_id"] == synthesized_message_id(raw)
    assert first["external_id"] != message_to_post(raw + b" Today?")["external_id"]
    assert first["raw"]["message_id_synthesized"] is True and first["raw"]["date_from"] == "arrival"
    assert first["created_at"] == "2026-11-30T08:00:00Z" and first["text"] == "hello\n\nWhere is my order?"


def test_a_bad_date_falls_back_to_the_newest_received_hop_and_sender_to_reply_to():
    raw = (
        b"Received: from mx.mail.example by in.acme.example; Mon, 30 Nov 2026 09:10:11 +0100\n"
        b"Received: from laptop by mx.mail.example; Mon, 30 Nov 2026 09:10:01 +0100\n"
        b"Reply-To: Ana Lopez <ana@mail.example>\nDate: yesterday-ish\nMessage-ID: <m1@mail.example>\n\nhi"
    )
    post = message_to_post(raw)
    assert post["created_at"] == "2026-11-30T08:10:11Z" and post["raw"]["date_from"] == "received"
    assert post["author"]["handle"] == "ana@mail.example" and post["author"]["name"] == "Ana Lopez"


def test_replies_go_out_over_smtp_in_the_customers_thread(fake_smtp):  # noqa: F811
    client = SmtpClient(host="127.0.0.1", port=fake_smtp.port, from_address="care@acme.example", starttls=False)
    sent_id = client.send_reply(
        text="We have chased the refund.",
        to="ana.lopez@mail.example",
        in_reply_to="<CAF7x9y2@mail.example>",
        subject="Your booking 4471",
    )
    (msg,) = fake_smtp.messages
    assert msg["Message-ID"] == sent_id and msg["To"] == "ana.lopez@mail.example"
    assert msg["In-Reply-To"] == "<CAF7x9y2@mail.example>" and msg["Subject"] == "Re: Your booking 4471"
    assert msg.get_content().strip() == "We have chased the refund."


def test_temporary_smtp_refusals_are_retryable_and_permanent_ones_are_not(fake_smtp):  # noqa: F811
    client = SmtpClient(host="127.0.0.1", port=fake_smtp.port, from_address="care@acme.example", starttls=False)
    fake_smtp.refuse_with = "451 4.3.0 try again later"
    with pytest.raises(ConnectorError) as temporary:
        client.send_reply(text="x", to="a@b.example")
    assert temporary.value.retryable and temporary.value.status == 451
    fake_smtp.refuse_with = "554 5.7.1 rejected"
    with pytest.raises(ConnectorError) as permanent:
        client.send_reply(text="x", to="a@b.example")
    assert not permanent.value.retryable
    closed = SmtpClient(host="127.0.0.1", port=1, from_address="care@acme.example", starttls=False, timeout=2)
    with pytest.raises(ConnectorError) as down:
        closed.send_reply(text="x", to="a@b.example")
    assert down.value.retryable


def _mail(n: int) -> bytes:
    return (
        f"From: Customer {n} <c{n}@mail.example>\r\nTo: care@acme.example\r\nSubject: Question {n}\r\n"
        f"Date: Sun, 22 Nov 2026 07:1{n}:00 +0000\r\nMessage-ID: <q{n}@mail.example>\r\n\r\nWhere is order {n}?\r\n"
    ).encode()


def test_imap_polls_new_messages_once_and_resumes_from_its_state(fake_imap):  # noqa: F811
    from rapport.pipeline.connectors.email.imap import ImapClient

    client = ImapClient(
        host="127.0.0.1", port=fake_imap.port, username="care@acme.example", password="imap-pass", ssl=False
    )
    fake_imap.deliver(_mail(1))
    fake_imap.deliver(_mail(2))
    first = client.poll(state=None)
    assert [p["external_id"] for p in first.posts] == ["<q1@mail.example>", "<q2@mail.example>"]
    assert first.state == {"uidvalidity": 42, "last_uid": 102}
    assert client.poll(state=first.state).posts == []  # nothing new: the highest UID is not fetched again
    fake_imap.deliver(b"Subject: broken\r\n\r\nno sender")
    fake_imap.deliver(_mail(3))
    third = client.poll(state=first.state)
    assert [p["external_id"] for p in third.posts] == ["<q3@mail.example>"]
    assert [(uid, reason.split(":")[0]) for uid, reason, _ in client.rejected] == [(103, "From")]
    fake_imap.uidvalidity = 43  # the mailbox was rebuilt: start over
    assert len(client.poll(state=third.state).posts) == 3


def test_imap_bad_login_is_not_retryable(fake_imap):  # noqa: F811
    from rapport.pipeline.connectors.email.imap import ImapClient

    client = ImapClient(host="127.0.0.1", port=fake_imap.port, username="care@acme.example", password="nope", ssl=False)
    with pytest.raises(ConnectorError) as exc:
        client.poll()
    assert not exc.value.retryable
