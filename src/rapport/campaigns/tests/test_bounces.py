"""Bounces and complaints reach the signed webhook as a provider's JSON or as raw RFC 3464 / RFC 5965 reports; a hard
bounce or a complaint suppresses the address through consent, soft bounces do after the workspace's limit, the
campaign counts its bounces (page and API), and bad or unsigned input is refused naming the field."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import bounces, mail, services
from rapport.campaigns.models import Bounce, Campaign, CampaignSend
from rapport.campaigns.tests.test_campaigns import ACTOR, body, person, run_jobs, segment, smtp_settings
from rapport.consent import services as consent
from rapport.core import signing
from rapport.core.errors import FieldErrors
from rapport.core.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def post(client, ws, payload: bytes, content_type="application/json", *, secret=None, key=None, ts=None):
    row = mail.settings_row(ws.pk)
    ts = ts or int(time.time())
    sig = signing.sign(payload, timestamp=ts, secret=secret or mail.bounce_secret(row))
    return client.post(
        f"/mail/bounces/{key or row.bounce_key}",
        data=payload,
        content_type=content_type,
        headers={"X-Rapport-Signature": sig, "X-Rapport-Timestamp": str(ts)},
    )


def sent_campaign(ws, settings, smtp, *names):
    smtp_settings(settings, smtp)
    people = [person(ws, n) for n in names]
    c = services.create_campaign(workspace=ws, actor=ACTOR, data=body(segment_ids=[segment(ws).pk]))
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    ids = {m["To"]: str(m["Message-ID"]) for m in smtp.messages}
    return Campaign.objects.get(pk=c.pk), people, ids


def dsn(recipient: str, status: str, message_id: str, action: str = "failed") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.net\r\n"
        "To: news@mail.example.com\r\n"
        "Subject: Delivery Status Notification (Failure)\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n'
        "\r\n--B1\r\nContent-Type: text/plain\r\n\r\nThe message could not be delivered.\r\n"
        "--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.net\r\nArrival-Date: Wed, 2 Dec 2026 10:00:00 +0000\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{recipient}>: Recipient address rejected\r\n"
        "--B1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: news@mail.example.com\r\nTo: {recipient}\r\nSubject: Hello\r\nMessage-ID: {message_id}\r\n"
        "--B1--\r\n"
    ).encode()


def arf(recipient: str, message_id: str) -> bytes:
    return (
        "From: fbl@isp.example\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\r\n'
        "\r\n--F\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
        "--F\r\nContent-Type: message/feedback-report\r\n\r\n"
        f"Feedback-Type: abuse\r\nUser-Agent: fbl/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: <{recipient}>\r\n"
        "--F\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: news@mail.example.com\r\nTo: {recipient}\r\nMessage-ID: {message_id}\r\nSubject: Hi\r\n\r\nBody\r\n"
        "--F--\r\n"
    ).encode()


def test_a_hard_bounce_suppresses_and_is_counted_on_the_campaign(workspace, settings, fake_smtp, api, member_factory):  # noqa: F811
    c, (ann, bob), ids = sent_campaign(workspace, settings, fake_smtp, "Ann", "Bob")
    client = Client()
    payload = {
        "type": "bounce",
        "email": ann.email,
        "bounce_type": "hard",
        "status": "5.1.1",
        "diagnostic": f"550 5.1.1 <{ann.email}> no such user",
        "message_id": ids[ann.email],
    }
    r = post(client, workspace, json.dumps(payload).encode())
    assert r.status_code == 200, r.content
    assert r.json() == {"recorded": 1, "suppressed": 1, "matched": 1}
    assert consent.is_suppressed(workspace.pk, "email", ann.email)
    assert not consent.is_suppressed(workspace.pk, "email", bob.email)
    b = Bounce.objects.get()
    assert b.send == CampaignSend.objects.get(campaign=c, person=ann) and ann.email not in b.diagnostic
    s = api.get(f"/campaigns/{c.pk}").json()["stats"]
    assert (s["bounced"], s["hard_bounced"], s["complained"], s["sent"]) == (1, 1, 0, 2)
    # The next campaign to the same people leaves Ann out as suppressed.
    c2 = services.create_campaign(
        workspace=workspace, actor=ACTOR, data=body(segment_ids=list(c.segment_ids), name="Next")
    )
    assert services.stats(c2)["suppressed"] == 1
    # The campaign page shows it.
    page = Client()
    page.force_login(member_factory(workspace, Role.MARKETER).user)
    assert '<span id="campaign-bounced">1 bounced</span>' in page.get(f"/campaigns/{c.pk}/").content.decode()


def test_soft_bounces_suppress_after_the_limit(workspace, settings, fake_smtp):  # noqa: F811
    c, (ann,), ids = sent_campaign(workspace, settings, fake_smtp, "Ann")
    mail.save_settings(workspace_id=workspace.pk, data={"soft_bounce_limit": 2})
    client = Client()
    soft = json.dumps({"type": "bounce", "email": ann.email, "status": "4.2.2", "message_id": ids[ann.email]})
    sent_at = int(time.time())
    r = post(client, workspace, soft.encode(), ts=sent_at)
    assert r.json()["suppressed"] == 0 and not consent.is_suppressed(workspace.pk, "email", ann.email)
    assert services.stats(c)["bounced"] == 1 and services.stats(c)["hard_bounced"] == 0
    # The same signed request again (a replay, or the provider's retry) is not counted twice.
    r = post(client, workspace, soft.encode(), ts=sent_at)
    assert r.json()["replayed"] is True and not consent.is_suppressed(workspace.pk, "email", ann.email)
    second = json.dumps(
        {
            "type": "bounce",
            "email": ann.email,
            "status": "4.2.2",
            "diagnostic": "mailbox full again",
            "message_id": ids[ann.email],
        }
    )
    r = post(client, workspace, second.encode())
    assert r.json()["suppressed"] == 1 and consent.is_suppressed(workspace.pk, "email", ann.email)
    assert services.stats(c)["bounced"] == 1  # one send, bounced twice


def test_raw_dsn_and_arf_reports(workspace, settings, fake_smtp):  # noqa: F811
    c, (ann, bob, cid), ids = sent_campaign(workspace, settings, fake_smtp, "Ann", "Bob", "Cid")
    client = Client()
    r = post(client, workspace, dsn(ann.email, "5.1.1", ids[ann.email]), "message/rfc822")
    assert r.status_code == 200 and r.json() == {"recorded": 1, "suppressed": 1, "matched": 1}
    # A delay is a soft bounce; a mailbox full (5.2.2) too; "delivered" is no bounce at all.
    assert (
        post(client, workspace, dsn(bob.email, "4.4.7", ids[bob.email], "delayed"), "message/rfc822").json()[
            "suppressed"
        ]
        == 0
    )
    assert (
        post(client, workspace, dsn(bob.email, "2.0.0", ids[bob.email], "delivered"), "message/rfc822").json()[
            "recorded"
        ]
        == 0
    )
    r = post(client, workspace, arf(cid.email, ids[cid.email]), "multipart/report")
    assert r.json() == {"recorded": 1, "suppressed": 1, "matched": 1}
    assert consent.is_suppressed(workspace.pk, "email", cid.email)
    assert {b.source for b in Bounce.objects.all()} == {"dsn", "arf"}
    s = services.stats(c)
    assert (s["bounced"], s["hard_bounced"], s["complained"]) == (2, 1, 1)
    assert bounces.classify("5.2.2") == "soft" and bounces.classify("5.7.1") == "soft"
    assert bounces.classify("5.1.10") == "hard"


def test_bad_or_unsigned_input_is_refused_and_records_nothing(workspace, other_workspace, settings, fake_smtp):  # noqa: F811
    c, (ann,), ids = sent_campaign(workspace, settings, fake_smtp, "Ann")
    client = Client()
    good = json.dumps({"type": "bounce", "email": ann.email, "bounce_type": "hard"}).encode()
    r = client.post(
        f"/mail/bounces/{mail.settings_row(workspace.pk).bounce_key}", data=good, content_type="application/json"
    )
    assert r.status_code == 401 and "X-Rapport-Signature" in r.json()["detail"]
    assert post(client, workspace, good, secret="wrong").status_code == 401
    assert post(client, workspace, good, key="nope").status_code == 404
    r = post(
        client,
        workspace,
        json.dumps(
            {"events": [{"type": "bounce", "email": "not-an-address", "bounce_type": "hard"}, {"type": "opened"}]}
        ).encode(),
    )
    assert r.status_code == 422
    locs = {tuple(d["loc"]) for d in r.json()["detail"]}
    assert ("body", "events", "0", "email") in locs and ("body", "events", "1", "type") in locs
    r = post(client, workspace, json.dumps({"type": "bounce", "email": ann.email, "status": "550"}).encode())
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "status"]
    r = post(client, workspace, b"{not json")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "body"]
    r = post(client, workspace, b"Subject: hi\r\n\r\nplain mail", "message/rfc822")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "content-type"]
    r = post(client, workspace, good, "text/csv")
    assert r.status_code == 422
    assert not Bounce.objects.exists() and not consent.is_suppressed(workspace.pk, "email", ann.email)
    # Another workspace's secret and key cannot report on this workspace's sends.
    r = post(
        client,
        other_workspace,
        json.dumps({"type": "complaint", "email": ann.email, "message_id": ids[ann.email]}).encode(),
    )
    assert r.status_code == 200 and r.json()["matched"] == 0
    assert not consent.is_suppressed(workspace.pk, "email", ann.email)
    with pytest.raises(FieldErrors):
        bounces.parse_report(b"")
    # A provider reads JSON, whatever the error and the language asked: too large a body is a JSON 413.
    settings.RAPPORT_MAX_BODY_BYTES = 100
    big = post(client, workspace, json.dumps({"type": "bounce", "email": ann.email, "x": "y" * 200}).encode())
    assert big.status_code == 413 and "over the 100 byte limit" in big.json()["detail"]


def test_odd_but_usable_reports_are_recorded_not_a_server_error(workspace, settings, fake_smtp):  # noqa: F811
    """A DSN whose headers part names a charset Python does not know still names the send it bounces; a NUL in a
    provider's diagnostic (which no PostgreSQL text column holds) is dropped, not a 500, and the bounce kept."""
    c, (ann, bob), ids = sent_campaign(workspace, settings, fake_smtp, "Ann", "Bob")
    client = Client()
    raw = dsn(ann.email, "5.1.1", ids[ann.email]).replace(
        b"Content-Type: text/rfc822-headers\r\n", b"Content-Type: text/rfc822-headers; charset=bogus\r\n"
    )
    assert b"charset=bogus" in raw
    r = post(client, workspace, raw, "message/rfc822")
    assert r.status_code == 200 and r.json() == {"recorded": 1, "suppressed": 1, "matched": 1}
    event = {
        "type": "bounce",
        "email": bob.email,
        "bounce_type": "hard",
        "diagnostic": "550 x\u0000y",
        "message_id": ids[bob.email],
    }
    r = post(client, workspace, json.dumps(event).encode())
    assert r.status_code == 200 and r.json()["recorded"] == 1
    stored = Bounce.objects.get(address_hash=consent.address_hash(workspace.pk, "email", bob.email))
    assert "\x00" not in stored.diagnostic and stored.diagnostic.startswith("550 x")


def test_the_admins_mail_settings_page(workspace, member_factory):
    admin = Client()
    admin.force_login(member_factory(workspace, Role.ADMIN).user)
    marketer = Client()
    marketer.force_login(member_factory(workspace, Role.MARKETER).user)
    assert marketer.get("/campaigns/mail-settings/").status_code == 403
    page = admin.get("/campaigns/mail-settings/").content.decode()
    row = mail.settings_row(workspace.pk)
    assert f"/mail/bounces/{row.bounce_key}" in page and mail.bounce_secret(row) in page
    assert "Mail is not signed now." in page
    r = admin.post(
        "/campaigns/mail-settings/", {"dkim_domain": "bad domain", "dkim_selector": "s1", "soft_bounce_limit": "3"}
    )
    assert r.status_code == 422 and "is not a domain name" in r.content.decode()
    r = admin.post(
        "/campaigns/mail-settings/",
        {"dkim_domain": "mail.example.com", "dkim_selector": "s1", "soft_bounce_limit": "3", "generate_key": "on"},
    )
    assert r.status_code == 302
    page = admin.get("/campaigns/mail-settings/").content.decode()
    assert "s1._domainkey.mail.example.com" in page and "v=DKIM1; k=rsa; p=" in page
    stored = mail._stored_key(mail.settings_row(workspace.pk)).decode().splitlines()[1]
    assert stored and stored not in page  # the key itself is never shown again
