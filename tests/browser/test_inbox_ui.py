"""An agent in a real browser: the queue is ordered by priority with SLA countdowns, a new complaint appears
live without a reload, and the agent answers with a canned reply, adds a note and resolves."""

import re

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from rapport.care import services
from rapport.care.models import AgentProfile, CannedReply, Conversation, Message, Team
from rapport.care.tests.helpers import ACTOR, brand, person, social_policy
from rapport.core.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_queue_and_answering(page, live_server, workspace, member_factory):
    member = member_factory(workspace, Role.AGENT)
    team = Team.objects.create(workspace=workspace, name="Service", networks=["chat", "phone"])
    AgentProfile.objects.create(workspace=workspace, user=member.user).teams.add(team)
    brand(workspace)
    social_policy(workspace, first=60)
    CannedReply.objects.create(workspace=workspace, name="Apology", text="Hi {{first_name}}, so sorry about this.")
    calm = person(workspace, "Carl", "Calm", handle="carlcalm")
    services.log_contact(
        workspace=workspace,
        actor=ACTOR,
        person=calm,
        network="chat",
        kind="chat",
        text="What are your opening hours on Sunday?",
        occurred_at=timezone.now(),
    )

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", member.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/inbox/")
    page.wait_for_selector("#live[data-state=live]")
    assert page.locator("#queue tbody tr").count() == 1
    countdown = page.locator(".sla-due").first.text_content()
    assert re.fullmatch(r"\d+ min|1 h( \d+ min)?", countdown), countdown  # "59 min", not "0h 59m 58s"

    # A furious, valuable customer writes while the page is open: the row appears on top, no reload.
    vip = person(workspace, "Vera", "Important", handle="veraimportant", followers=90000, tags=["vip"])
    services.log_contact(
        workspace=workspace,
        actor=ACTOR,
        person=vip,
        network="phone",
        kind="call",
        text="Charged twice and nobody calls back. Unacceptable, cancel everything today!",
        occurred_at=timezone.now(),
    )
    expect(page.locator("#queue tbody tr")).to_have_count(2, timeout=10_000)
    first_row = page.locator("#queue tbody tr").first
    assert "Vera Important" in first_row.text_content()

    first_row.locator("a").click()
    page.wait_for_selector("#reply-text")
    assert "Timeline" in page.content()
    page.select_option("#canned", label="Apology")
    assert page.input_value("#reply-text") == "Hi Vera, so sorry about this."
    page.click("#reply-form button[type=submit]:not([name])")
    page.wait_for_selector(".msg.outbound")
    page.fill("#reply-text", "Refund checked with finance")
    page.click("#reply-form button[name=note]")
    page.wait_for_selector(".msg.note")
    page.click("#resolve")
    page.wait_for_selector("text=Status: Resolved")
    conv = Conversation.objects.get(person=vip)
    assert conv.status == "resolved"
    assert list(Message.objects.filter(conversation=conv).values_list("direction", "kind")) == [
        ("inbound", "call"),
        ("outbound", "reply"),
        ("note", "note"),
        ("outbound", "survey"),  # resolving sends the CSAT survey link
    ]
