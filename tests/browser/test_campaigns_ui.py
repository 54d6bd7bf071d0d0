"""A marketer in a real browser writes a campaign for a segment, previews it as one member, saves and sends it, and
reads its funnel once a recipient has clicked."""

import re

import pytest
from conftest import PASSWORD
from django.test import Client
from playwright.sync_api import expect

from rapport.campaigns.models import Campaign
from rapport.consent import services as consent
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.core.runner import JobRunner
from rapport.segments import services as segments
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketer_writes_previews_sends_and_reads_a_campaign(
    page,
    live_server,
    workspace,
    member_factory,
    settings,
    fake_smtp,  # noqa: F811
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", fake_smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.RAPPORT_PUBLIC_URL = live_server.url
    actor = Actor.system("test")
    for first, city, granted in (("Ann", "Oslo", True), ("Bob", "Bergen", True), ("Cid", "Oslo", False)):
        p = create_person(
            workspace=workspace,
            actor=actor,
            data={
                "first_name": first,
                "last_name": "Test",
                "email": f"{first.lower()}@example.com",
                "city": city,
                "tags": ["vip"],
            },
        )
        consent.record(p, "newsletter", granted=granted, channel="email", source="form")
    segments.create_segment(
        workspace=workspace,
        actor=actor,
        data={"name": "VIPs", "definition": {"field": "tags", "op": "contains", "value": "vip"}},
    )
    member = member_factory(workspace, Role.MARKETER)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", member.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/mentions/")
    page.click("nav >> text=Campaigns")
    page.click("text=New campaign")
    page.fill("input[name=name]", "Spring in town")
    page.check("text=VIPs")
    page.fill("input[name=subject]", "Spring in {{ city }}, {{ first_name }}")
    page.fill("textarea[name=body]", "Dear {{ name }}, the new collection: https://shop.example/spring")
    page.click("#preview-button")
    expect(page.locator("#preview-subject")).to_have_text("Spring in Oslo, Ann")
    page.select_option("#preview-person", label="Bob Test <bob@example.com>")
    page.click("#preview-button")
    expect(page.locator("#preview-subject")).to_have_text("Spring in Bergen, Bob")
    expect(page.locator("#preview-body")).to_contain_text(
        "Dear Bob Test, the new collection: https://shop.example/spring"
    )
    page.click("button[value=save]")
    campaign = Campaign.objects.get()
    page.wait_for_url(f"{live_server.url}/campaigns/{campaign.pk}/")
    expect(page.locator("[data-step=audience]")).to_have_attribute("data-count", "2")  # Cid said no
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#send-button")
    expect(page.locator("#campaign-status")).to_have_text("Queued")
    runner = JobRunner()
    while runner.step():
        pass
    assert sorted(m["To"] for m in fake_smtp.messages) == ["ann@example.com", "bob@example.com"]
    # Ann clicks the link in her message: the redirect records it and takes her to the shop's page.
    ann = next(m for m in fake_smtp.messages if m["To"] == "ann@example.com")
    link = re.search(r"https?://\S+/r/\S+", ann.get_content()).group(0).rstrip(".")
    r = Client().get(link.removeprefix(live_server.url))
    assert r.status_code == 302 and r["Location"] == "https://shop.example/spring"
    page.reload()
    expect(page.locator("#campaign-status")).to_have_text("Sent")
    expect(page.locator("[data-step=sent]")).to_have_attribute("data-count", "2")
    expect(page.locator("[data-step=clicked]")).to_have_attribute("data-count", "1")
    expect(page.locator("svg.funnel-chart")).to_be_visible()
    expect(page.locator("#send-button")).to_have_count(0)
    page.click("text=All campaigns")
    expect(page.locator("#campaigns")).to_contain_text("Spring in town")
