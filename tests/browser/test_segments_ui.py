"""A marketer in a real browser builds a segment row by row, watches the count, saves it, and reads its members."""

from pathlib import Path

import pytest
from conftest import PASSWORD
from playwright.sync_api import expect

from rapport.commerce.models import CustomerValue
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.segments.models import Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_marketer_builds_a_segment_with_a_live_count(page, live_server, workspace, member_factory):
    member = member_factory(workspace, Role.MARKETER)
    actor = Actor.system("test")
    for i, (orders, country) in enumerate([(3, "SE"), (1, "SE"), (0, "DK"), (5, "DK")]):
        p = create_person(
            workspace=workspace, actor=actor, data={"first_name": f"Buyer{i}", "last_name": "Test", "country": country}
        )
        CustomerValue.objects.create(workspace=workspace, person=p, orders=orders)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", member.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/mentions/")  # a marketer starts on the mentions
    page.click("text=Segments")
    page.click("text=New segment")
    # The default condition (orders ≥ 1) is shown as a row and counted at once.
    expect(page.locator(".seg-row")).to_have_count(1)
    expect(page.locator(".preview-count")).to_have_attribute("data-count", "3")
    page.fill("[data-role=value]", "2")
    expect(page.locator(".preview-count")).to_have_attribute("data-count", "2")
    page.click("#add-condition")
    second = page.locator(".seg-row").nth(1)
    second.locator("[data-role=field]").select_option("country")
    second.locator("[data-role=op]").select_option("eq")
    second.locator("[data-role=value]").fill("se")
    expect(page.locator(".preview-count")).to_have_attribute("data-count", "1")
    second.locator("[data-role=not]").check()
    expect(page.locator(".preview-count")).to_have_attribute("data-count", "1")
    expect(page.locator("#preview-result")).to_contain_text("Buyer3")
    page.fill("input[name=name]", "Frequent buyers abroad")
    page.click("button[value=save]")
    segment = Segment.objects.get()
    assert segment.definition == {
        "all": [
            {"field": "purchases.count", "op": "gte", "value": 2},
            {"not": {"field": "country", "op": "eq", "value": "se"}},
        ]
    }
    page.wait_for_url(f"{live_server.url}/segments/{segment.pk}/")
    expect(page.locator("#segment-count")).to_have_text("1 person")
    expect(page.locator("#members")).to_contain_text("Buyer3 Test")
    expect(page.locator("svg.size-chart")).to_be_visible()
    with page.expect_download() as download:
        page.click("text=Export CSV")
    assert "Buyer3" in Path(download.value.path()).read_text(encoding="utf-8")
