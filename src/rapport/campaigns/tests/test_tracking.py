"""Measured response: the template's fixed links go through a signed redirect that records the click and goes only
to the URL written in the template; an optional open image; unsubscribes and conversions (orders within the
attribution window of a click) are counted in the campaign's stats."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import services, tracking
from rapport.campaigns.models import Campaign, CampaignResponse, CampaignSend
from rapport.campaigns.tests.test_campaigns import ACTOR, body, person, run_jobs, segment, smtp_settings
from rapport.commerce.services import LineIn, OrderIn, record_order
from rapport.consent import services as consent

pytestmark = pytest.mark.django_db(transaction=True)
TEMPLATE = (
    "Hi {{ first_name }}, spring is in: https://shop.example/spring?utm=mail.\n"
    "Your page: https://shop.example/u/{{ customer_number }} and again https://shop.example/spring?utm=mail"
)
TRACKED = re.compile(r"https://crm\.example/r/[^\s.]+(?:\.[^\s.]+)*")


def plain(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def send(workspace, settings, smtp, **data):
    smtp_settings(settings, smtp)
    settings.RAPPORT_PUBLIC_URL = "https://crm.example"
    c = services.create_campaign(
        workspace=workspace, actor=ACTOR, data=body(segment_ids=[segment(workspace).pk], body=TEMPLATE, **data)
    )
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    return Campaign.objects.get(pk=c.pk)


def test_fixed_links_are_tracked_and_redirect_only_to_the_template_url(workspace, settings, client, fake_smtp):  # noqa: F811
    ann = person(workspace, "Ann")
    c = send(workspace, settings, fake_smtp)
    (mail,) = fake_smtp.messages
    text = plain(mail)
    assert "https://shop.example/spring" not in text  # both occurrences rewritten
    links = TRACKED.findall(text)
    assert len(links) == 2 and links[0] == links[1]
    assert "https://shop.example/u/" in text  # built from a variable: left as it is
    assert "https://crm.example/unsubscribe/" in text  # never rewritten
    assert mail.get_body(preferencelist=("html",)) is None  # no open image asked for: plain text only
    path = links[0].removeprefix("https://crm.example")
    r = client.get(path)
    assert r.status_code == 302 and r["Location"] == "https://shop.example/spring?utm=mail"
    (click,) = CampaignResponse.objects.filter(campaign=c)
    assert (click.kind, click.link, click.send.person_id) == ("click", 0, ann.pk)
    s = services.stats(c)
    assert (s["clicked"], s["opened"]) == (1, 1)  # a click shows the message was opened
    client.get(path)
    assert services.stats(c)["clicked"] == 1  # people, not clicks


def test_forged_or_mangled_links_record_nothing_and_never_redirect_elsewhere(workspace, settings, client, fake_smtp):  # noqa: F811
    person(workspace, "Ann")
    c = send(workspace, settings, fake_smtp)
    row = CampaignSend.objects.get(campaign=c)
    good = tracking.token(row.pk, 0)
    from django.core import signing

    for bad in (
        good[:-3] + "abc",  # tampered
        tracking.token(row.pk, 7),  # a link the template does not have
        signing.dumps({"s": row.pk, "l": "https://evil.example/"}, salt=tracking.SALT, compress=True),
        signing.dumps({"s": row.pk, "l": 0}, salt="another.salt", compress=True),
        tracking.token(row.pk + 999, 0),  # no such send
    ):
        r = client.get(f"/r/{bad}")
        assert r.status_code == 404, bad
    assert client.get(f"/r/{good}?next=https://evil.example/")["Location"] == "https://shop.example/spring?utm=mail"
    assert CampaignResponse.objects.count() == 1


def test_the_open_image_is_optional_and_counts_opens(workspace, settings, client, fake_smtp):  # noqa: F811
    person(workspace, "Ann"), person(workspace, "Bob")
    c = send(workspace, settings, fake_smtp, track_opens=True)
    assert services.stats(c)["opened"] == 0
    mail = next(m for m in fake_smtp.messages if m["To"] == "ann@example.com")
    html = mail.get_body(preferencelist=("html",)).get_content()
    (pixel,) = re.findall(r'<img src="https://crm\.example(/o/[^"]+\.gif)"', html)
    assert '<a href="https://crm.example/r/' in html
    r = client.get(pixel)
    assert r.status_code == 200 and r["Content-Type"] == "image/gif" and "no-cache" in r["Cache-Control"]
    client.get(pixel)
    s = services.stats(c)
    assert (s["opened"], s["clicked"]) == (1, 0)
    # A click token is not an open image, nor the other way round.
    row = CampaignSend.objects.get(campaign=c, person__first_name="Ann")
    assert client.get(f"/o/{tracking.token(row.pk, 0)}.gif").status_code == 404
    assert client.get(f"/r/{tracking.token(row.pk, tracking.OPEN)}").status_code == 404


def test_no_tracking_when_turned_off(workspace, settings, fake_smtp):  # noqa: F811
    person(workspace, "Ann")
    send(workspace, settings, fake_smtp, track_clicks=False)
    text = plain(fake_smtp.messages[0])
    assert "https://shop.example/spring?utm=mail." in text and not TRACKED.search(text)


def test_unsubscribes_and_conversions_within_the_window_are_counted(api, workspace, settings, client, fake_smtp):  # noqa: F811
    ann, bob, cid_ = person(workspace, "Ann"), person(workspace, "Bob"), person(workspace, "Cid")
    c = send(workspace, settings, fake_smtp)
    for p in (ann, bob):
        mail = next(m for m in fake_smtp.messages if m["To"] == p.email)
        client.get(TRACKED.findall(plain(mail))[0].removeprefix("https://crm.example"))
    consent.record(cid_, "newsletter", granted=False, channel="email", source="unsubscribe")
    now = timezone.now()

    def order(oid, p, days, amount):
        record_order(
            workspace=workspace,
            order=OrderIn(
                order_id=oid,
                ordered_at=now + timedelta(days=days),
                email=p.email,
                lines=[LineIn(sku="X", name="X", amount=Decimal(amount))],
            ),
        )

    order("a1", ann, 2, "40.00")  # within the window
    order("a2", ann, 3, "10.50")
    order("b1", bob, services.ATTRIBUTION_DAYS + 1, "99")  # too late
    order("c1", cid_, 1, "70")  # never clicked
    order("a0", ann, -1, "5")  # before the click
    s = api.get(f"/campaigns/{c.pk}").json()["stats"]
    assert (s["sent"], s["clicked"], s["opened"], s["unsubscribed"]) == (3, 2, 2, 1)
    assert (s["converted"], s["revenue"]) == (1, 50.5)
