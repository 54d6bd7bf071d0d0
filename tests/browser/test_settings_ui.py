"""A workspace admin configures care in the product's settings pages, in a real browser, and sees it take effect:
the new team gets the next chat, the SLA policy's business hours set its due time, and the canned reply (previewed
while typing) is offered in the reply box."""

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from rapport.care import services
from rapport.care.models import AppliedSLA, CannedReply, Conversation, SLAPolicy, Team
from rapport.care.sla import add_business_minutes
from rapport.care.tests.helpers import ACTOR, person
from rapport.core.models import AuditEvent, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sets_up_care_and_it_takes_effect(page, live_server, workspace, member_factory):
    admin = member_factory(workspace, Role.ADMIN)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", admin.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")

    page.click("header nav >> text=Settings")
    expect(page.locator("h1")).to_have_text("Settings of Acme")

    # A team for web chat, with the admin in it.
    page.click(".settings-menu >> text=Teams")
    page.click("#new-team")
    page.fill("#id_name", "Chat desk")
    page.fill("#id_networks", "chat")
    page.check(f"input[name=members][value='{admin.user_id}']")
    page.click("form.settings-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("Team Chat desk is saved")
    expect(page.locator("table.teams")).to_contain_text("Chat desk")

    # An SLA policy for chat with business hours; a wrong time first, answered on its field.
    page.click(".settings-menu >> text=SLA policies")
    page.click("#new-sla")
    page.fill("#id_name", "Chat within 30 minutes")
    page.fill("#id_channels", "chat")
    page.fill("#id_first_response_minutes", "30")
    page.fill("#id_tz", "Europe/Copenhagen")
    for day in range(7):
        page.fill(f"#id_open_{day}", "08:00")
        page.fill(f"#id_close_{day}", "20:00")
    page.fill("#id_close_2", "07:00")
    page.click("#sla-form button[type=submit]")
    expect(page.locator(".field-error")).to_contain_text("Wednesday closes: Wednesday must close after it opens")
    page.fill("#id_close_2", "20:00")
    page.click("#sla-form button[type=submit]")
    expect(page.locator("table.policies")).to_contain_text("Mon-Sun 08:00-20:00 (Europe/Copenhagen)")

    # A canned reply with variables; the preview fills them in while typing.
    page.click(".settings-menu >> text=Canned replies")
    page.click("#new-canned")
    page.fill("#id_name", "Welcome")
    page.fill("#id_text", "Hi {{first_name}}, thanks for chatting with {{brand}}.")
    expect(page.locator("#preview-text")).to_contain_text("thanks for chatting with Acme.")
    page.click("#canned-form button[type=submit].primary")
    expect(page.locator("table.canned")).to_contain_text("Welcome")

    team = Team.objects.get(workspace=workspace)
    policy = SLAPolicy.objects.get(workspace=workspace)
    assert CannedReply.objects.filter(workspace=workspace, name="Welcome").exists()
    actions = set(AuditEvent.objects.filter(workspace=workspace).values_list("action", flat=True))
    assert {"team.created", "team.members_changed", "sla_policy.created", "canned_reply.created"} <= actions

    # A customer chats: the conversation lands in the new team, with the admin, under the new SLA.
    carl = person(workspace, "Carl", "Calm", handle="carlcalm")
    services.log_contact(
        workspace=workspace,
        actor=ACTOR,
        person=carl,
        network="chat",
        kind="chat",
        text="Can I bring my bike on the plane?",
        occurred_at=timezone.now(),
    )
    conv = Conversation.objects.get(person=carl)
    assert conv.team_id == team.pk and conv.assignee_id == admin.user_id
    applied = AppliedSLA.objects.get(conversation=conv)
    assert applied.policy_id == policy.pk
    assert applied.first_response_due == add_business_minutes(conv.first_inbound_at, 30, policy.calendar)

    page.click("header nav >> text=Inbox")
    row = page.locator("#queue tbody tr", has_text="Carl Calm")
    expect(row).to_have_count(1)
    row.locator("a").first.click()
    page.wait_for_selector("#reply-text")
    page.select_option("#canned", label="Welcome")
    assert page.input_value("#reply-text") == "Hi Carl, thanks for chatting with Acme."
