"""A marketer in a real browser writes a journey as a list of steps, saves it, and reads its map, whose boxes carry
the per-step counts; the demo's moving-house journey shows a month of history."""

import os

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect

from rapport.campaigns.models import Journey
from rapport.campaigns.tests.journey_helpers import person
from rapport.core.models import Role
from rapport.demo.journeys import MOVING, seed_journeys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketer_writes_a_journey_and_reads_its_map(page, live_server, workspace, member_factory, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    for i in range(12):
        person(workspace, f"P{i:02d}", purposes=("offers",) if i % 3 else ())
    seed_journeys(workspace)
    member = member_factory(workspace, Role.MARKETER)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", member.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/mentions/")
    page.click("nav >> text=Journeys")
    page.click(f"text={MOVING}")
    moving = Journey.objects.get(name=MOVING)
    offer = page.locator("[data-step=offer]")
    sent = int(offer.get_attribute("data-sent"))
    assert sent > 0
    expect(page.locator("[data-node=trigger]")).to_have_attribute("data-count", "12")
    expect(page.locator("[data-jump]")).to_have_count(2)
    if os.environ.get("RAPPORT_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["RAPPORT_SCREENSHOTS"], "journey-map.png"), full_page=True)

    page.click("text=All journeys")
    page.click("text=New journey")
    page.fill("input[name=name]", "New baby")
    page.select_option("select[name=trigger]", "life_event")
    page.select_option("select[name=trigger_value]", "new_baby")
    page.select_option("select[name=status]", "active")
    page.select_option("select[name='steps-0-type']", "wait")
    page.fill("input[name='steps-0-days']", "3")
    page.select_option("select[name='steps-1-type']", "email")
    page.fill("input[name='steps-1-subject']", "Congratulations, {{ first_name }}")
    page.click("text=Save journey")
    expect(page.locator(".error").first).to_contain_text("an email needs a body")
    page.fill("textarea[name='steps-1-body']", "Everything for the first weeks: https://shop.example/baby")
    page.click("text=Save journey")
    made = Journey.objects.get(name="New baby")
    page.wait_for_url(f"{live_server.url}/journeys/{made.pk}/")
    expect(page.locator("#journey-status")).to_have_text("Active (enrolling)")
    expect(page.locator("[data-step=s1]")).to_have_attribute("data-type", "wait")
    expect(page.locator("[data-step=s2]")).to_have_attribute("data-type", "email")
    assert moving.pk != made.pk
