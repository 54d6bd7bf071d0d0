"""An agent's inbox work in a real browser: filter, save the view, check rows and assign them in one go (the
checks survive the live refresh), read the notification a colleague's assignment made; the customer rates the
conversation with one click on the survey link."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from conftest import PASSWORD
from django.utils import timezone

from rapport.care import routing, services, surveys
from rapport.care.models import AgentProfile, Conversation, CsatResponse, SavedView, Team
from rapport.care.tests.helpers import ACTOR, person, social_policy
from rapport.core.actors import Actor
from rapport.core.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filter_save_bulk_assign_and_notifications(page, live_server, workspace, member_factory):
    team = Team.objects.create(workspace=workspace, name="Social")
    me = member_factory(workspace, Role.AGENT, email="me@example.com")
    lead = member_factory(workspace, Role.ADMIN, email="lead@example.com")
    AgentProfile.objects.create(workspace=workspace, user=me.user).teams.add(team)
    social_policy(workspace, first=135)
    for first, network in (("Tina", "twitter"), ("Tom", "twitter"), ("Finn", "facebook")):
        services.log_contact(
            workspace=workspace,
            actor=ACTOR,
            person=person(workspace, first, "Tester", handle=f"{first.lower()}t", network=network),
            network=network,
            kind="post",
            text=f"{first}: where is my parcel?",
            occurred_at=timezone.now(),
        )
    Conversation.objects.update(team=team, assignee=None)
    finn = Conversation.objects.get(person__first_name="Finn")

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", me.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/inbox/")
    assert re.fullmatch(r"2 h 1[45] min", page.locator(".sla-due").first.inner_text())

    page.select_option("#filters select[name=channel]", "twitter")
    page.check("#filters input[name=unassigned]")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*channel=twitter.*unassigned=1"))
    assert page.locator("#queue tbody tr").count() == 2
    page.fill("#save-view input[name=name]", "Twitter, nobody's")
    page.click("#save-view button[type=submit]")
    page.wait_for_selector("text=View “Twitter, nobody's” saved.")
    assert parse_qs(SavedView.objects.get(user=me.user).query) == {"channel": ["twitter"], "unassigned": ["1"]}
    page.goto(f"{live_server.url}/inbox/")
    page.click('a.saved-view:has-text("Twitter, nobody\'s")')
    assert page.locator("#queue tbody tr").count() == 2

    page.wait_for_selector("#live[data-state=live]")
    boxes = page.locator("#queue input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    # A colleague's change refreshes the queue while the rows are checked: the checks stay.
    routing.reassign(conversation=finn, actor=Actor.for_user(lead.user), user=me.user)
    page.wait_for_function("document.getElementById('checked-count').textContent === '2 checked'")
    page.wait_for_timeout(2500)
    assert page.locator("#queue input[name=ids]:checked").count() == 2
    page.select_option("#bulk-action", "assign")
    page.select_option("#bulk select[name=assignee]", "me")
    page.click("#bulk-apply")
    page.wait_for_selector("text=Assigned 2 conversations to you.")
    assert Conversation.objects.filter(assignee=me.user).count() == 3

    # Finn's assignment by the lead is waiting as a notification, with its count on the nav.
    page.goto(f"{live_server.url}/inbox/")
    assert page.locator("#unread-count").inner_text() == "1"
    assert "Finn Tester was assigned to you by lead@example.com" in page.locator("#notifications").inner_text()
    page.click("#notifications button:has-text('Mark all read')")
    page.wait_for_url(f"{live_server.url}/inbox/")
    assert page.locator("#notifications").count() == 0


def test_the_customer_rates_with_one_click(page, live_server, workspace, django_capture_on_commit_callbacks):
    p = person(workspace, "Ana", "Lopez", handle="analopez", network="email")
    services.log_contact(
        workspace=workspace,
        actor=ACTOR,
        person=p,
        network="email",
        kind="email",
        text="My invoice is wrong",
        occurred_at=timezone.now(),
    )
    conv = Conversation.objects.get(person=p)
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(conversation=conv, actor=ACTOR)
    text = surveys.survey_text(conv)
    four = re.search(r"4 - happy: (\S+)", text).group(1)
    page.goto(live_server.url + four[four.index("/survey/") :])
    assert "You rated us 4 out of 5" in page.locator("#rated").inner_text()
    assert CsatResponse.objects.get(conversation=conv).score == 4
    page.fill("textarea[name=comment]", "Sorted in a day")
    page.click("button:has-text('Add comment')")
    page.wait_for_selector("text=Your comment is saved.")
    answer = CsatResponse.objects.get(conversation=conv)
    assert (answer.score, answer.comment) == (4, "Sorted in a day")
