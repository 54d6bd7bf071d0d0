"""An agent in a real browser: log in, search, open a person, read and filter the timeline, edit a field."""

import re
from datetime import timedelta

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from rapport.contacts.models import Person, Touchpoint
from rapport.contacts.services import create_person
from rapport.contacts.touchpoints import post_touchpoint
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(page, live_server, email):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/(inbox|mentions|contacts)/$"))  # each role starts where its work is
    page.goto(f"{live_server.url}/contacts/")


def test_agent_finds_a_person_reads_the_timeline_and_edits(page, live_server, workspace, member_factory):
    member = member_factory(workspace, Role.AGENT)
    actor = Actor.system("test")
    sofie = create_person(
        workspace=workspace,
        actor=actor,
        data={"first_name": "Sofie", "last_name": "Lindqvist", "email": "sofie@example.se"},
        identities=[{"network": "twitter", "handle": "sofielindqvist"}],
        organisations=[{"name": "Volvo Cars", "role": "Buyer"}],
    )
    for i in range(3):
        create_person(workspace=workspace, actor=actor, data={"first_name": f"Other{i}", "last_name": "Person"})
    now = timezone.now()
    Touchpoint.objects.bulk_create(
        [
            Touchpoint(
                workspace=workspace,
                person=sofie,
                kind="purchase",
                channel="store",
                occurred_at=now - timedelta(days=200),
                title="Espresso machine",
            ),
            Touchpoint(
                workspace=workspace,
                person=sofie,
                kind="call",
                channel="phone",
                occurred_at=now - timedelta(days=40),
                title="Descaling question",
            ),
            *[
                Touchpoint(
                    workspace=workspace,
                    person=sofie,
                    kind="email",
                    channel="email",
                    occurred_at=now - timedelta(days=100 + i),
                    title=f"Newsletter {i}",
                )
                for i in range(30)
            ],
        ]
    )

    login(page, live_server, member.user.email)
    assert page.locator("tr.contact-row").count() == 4

    page.fill("#search", "@sofielindqvist")
    expect(page.locator("tr.contact-row")).to_have_count(1)
    page.click("text=Sofie Lindqvist")
    assert page.inner_text("#person-name") == "Sofie Lindqvist"
    assert "Volvo Cars" in page.inner_text("aside")

    timeline = page.locator("#timeline li.touchpoint")
    assert timeline.first.inner_text().find("Descaling question") >= 0  # newest first
    assert timeline.count() == 25  # one page
    page.click("text=Older touchpoints")
    expect(page.locator("#timeline li.touchpoint")).to_have_count(32)
    assert "Espresso machine" in page.locator("#timeline li.touchpoint").last.inner_text()

    page.select_option("select[name=kind]", "call")
    expect(page.locator("#timeline li.touchpoint")).to_have_count(1)
    assert "Descaling question" in page.inner_text("#timeline")

    page.click("text=Edit")
    page.fill("input[name=email]", "not-an-email")
    page.click("button[type=submit]")
    assert "not a valid email address" in page.inner_text("form.edit")
    page.fill("input[name=email]", "sofie.lindqvist@example.se")
    page.fill("input[name=city]", "Göteborg")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/contacts/{sofie.pk}/")
    assert page.inner_text("#field-email") == "sofie.lindqvist@example.se"
    assert "Göteborg" in page.inner_text("aside")
    assert "sofie.lindqvist@example.se" in page.inner_text(".audit")
    event = AuditEvent.objects.filter(object_id=str(sofie.pk), action="contact.updated").get()
    assert event.actor_label == member.user.email and event.after["city"] == "Göteborg"


def test_a_dpo_cannot_edit_and_other_workspaces_stay_hidden(
    page, live_server, workspace, other_workspace, member_factory
):
    dpo = member_factory(workspace, Role.DPO)
    hidden = create_person(workspace=other_workspace, actor=Actor.system("t"), data={"first_name": "Hidden"})
    login(page, live_server, dpo.user.email)
    assert page.locator("text=New contact").count() == 0
    response = page.goto(f"{live_server.url}/contacts/{hidden.pk}/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/contacts/new/")
    assert response.status == 403


def test_marketer_dry_runs_then_imports_a_file_and_sees_rejected_lines(
    page, live_server, workspace, member_factory, tmp_path
):
    marketer = member_factory(workspace, Role.MARKETER)
    f = tmp_path / "people.csv"
    f.write_text("Kundennummer,Vorname,Nachname,E-Mail\nK1,Lukas,Brenner,lukas@example.de\nK2,Eva,Roth,not-an-email\n")
    login(page, live_server, marketer.user.email)
    page.click("text=Import")
    page.set_input_files("input[name=file]", str(f))
    page.fill("input[name=mapping]", "kundennummer=external_id,vorname=first_name,nachname=last_name,e-mail=email")
    page.click("button[type=submit]")
    result = page.inner_text("#import-result")
    assert "Dry run" in result and "1 would be created" in result and "1 rejected" in result
    assert "email:" in page.inner_text("#import-result table")
    assert not Person.objects.filter(workspace=workspace).exists()
    page.set_input_files("input[name=file]", str(f))
    page.uncheck("input[name=dry_run]")
    page.click("button[type=submit]")
    assert "1 created" in page.inner_text("#import-result")
    assert Person.objects.get(workspace=workspace).external_id == "K1"
    with page.expect_download() as download:
        page.goto(f"{live_server.url}/contacts/")
        page.click("text=Export")
    text = download.value.path().read_text()
    assert text.splitlines()[0].startswith("external_id,first_name,last_name,email")
    assert "K1,Lukas,Brenner,lukas@example.de" in text


def test_agent_logs_a_call_and_it_joins_the_timeline_and_the_inbox(page, live_server, workspace, member_factory):
    from rapport.care.models import Conversation

    member = member_factory(workspace, Role.AGENT)
    lena = create_person(
        workspace=workspace, actor=Actor.system("test"), data={"first_name": "Lena", "last_name": "Ek"}
    )
    login(page, live_server, member.user.email)
    page.goto(f"{live_server.url}/contacts/{lena.pk}/")
    page.select_option("#log-form select[name=kind]", "call")
    page.select_option("#log-form select[name=channel]", "phone")
    page.select_option("#log-form select[name=direction]", "inbound")
    page.fill("#log-form input[name=title]", "Moving house")
    page.fill("#log-form textarea[name=body]", "Needs to cancel the contract at her old address")
    page.click("#log-form button[type=submit]")
    page.wait_for_selector("#log-form .notice")
    # The timeline refreshes in place, without a reload.
    expect(page.locator("#timeline")).to_contain_text("Moving house")
    assert "Logged: Call" in page.inner_text("#log-form")
    conv = Conversation.objects.get(person=lena)
    assert conv.messages.get().kind == "call" and "relocation" in conv.tags
    # An empty entry is refused with the reason, and nothing more is logged.
    page.click("#log-form button[type=submit]")
    page.wait_for_selector("#log-form .error")
    assert "Write a subject or what was said." in page.inner_text("#log-form")
    assert Touchpoint.objects.filter(person=lena).count() == 1


def test_a_marketer_sees_that_a_private_message_came_in_and_an_admin_reads_it(
    page, live_server, workspace, member_factory
):
    sofie = create_person(
        workspace=workspace, actor=Actor.system("test"), data={"first_name": "Sofie", "last_name": "Ek"}
    )
    post_touchpoint(
        workspace_id=workspace.pk,
        person_id=sofie.pk,
        post_id=1,
        network="email",
        kind="direct_message",
        text="Please change my card ending 4421",
        occurred_at=timezone.now(),
        external_id="<m1@example.se>",
    ).save()
    marketer = member_factory(workspace, Role.MARKETER)
    login(page, live_server, marketer.user.email)
    page.goto(f"{live_server.url}/contacts/{sofie.pk}/")
    entry = page.locator("li.touchpoint.private")
    assert "Private message" in entry.inner_text() and "Email" in entry.inner_text()
    assert "4421" not in page.content()
    page.context.clear_cookies()
    admin = member_factory(workspace, Role.ADMIN)
    login(page, live_server, admin.user.email)
    page.goto(f"{live_server.url}/contacts/{sofie.pk}/")
    assert "Please change my card ending 4421" in page.locator("li.touchpoint.private").inner_text()
