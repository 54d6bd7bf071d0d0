"""An agent works the inbox by keyboard alone, as in Zendesk or Gmail: Tab reaches the controls in reading order
with a visible focus ring, j/k move through the queue, x checks a row, o opens it, r writes a reply that
Ctrl+Enter sends, e resolves, u goes back, ? lists every shortcut; typing in a field never triggers one."""

import pytest
from conftest import PASSWORD
from django.utils import timezone
from playwright.sync_api import expect

from rapport.care import services
from rapport.care.models import AgentProfile, Conversation, Message, Team
from rapport.care.tests.helpers import ACTOR, brand, person, social_policy
from rapport.core.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _queue(workspace, member):
    team = Team.objects.create(workspace=workspace, name="Service", networks=["chat"])
    AgentProfile.objects.create(workspace=workspace, user=member.user).teams.add(team)
    brand(workspace)
    social_policy(workspace, first=60)
    for first, followers, text in (
        ("Vera", 90000, "Charged twice and nobody calls back. Unacceptable!"),
        ("Carl", 10, "What are your opening hours on Sunday?"),
        ("Nina", 200, "Is the parcel on its way?"),
    ):
        services.log_contact(
            workspace=workspace,
            actor=ACTOR,
            person=person(workspace, first, "Keys", handle=f"{first.lower()}keys", followers=followers),
            network="chat",
            kind="chat",
            text=text,
            occurred_at=timezone.now(),
        )


def _sign_in(page, live_server, member):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", member.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/inbox/")
    page.wait_for_selector("#live[data-state=live]")


def _focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : ''")


def test_the_inbox_by_keyboard_alone(page, live_server, workspace, member_factory):
    member = member_factory(workspace, Role.AGENT)
    _queue(workspace, member)
    _sign_in(page, live_server, member)
    names = [page.locator("#queue tbody tr").nth(i).locator("a").inner_text() for i in range(3)]

    # The first Tab lands on "Skip to content", whose focus ring is visible; Enter moves focus into the page.
    page.keyboard.press("Tab")
    assert "skip-link" in _focused(page)
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring not in ("none", ""), ring
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # j/k move the current row and focus its link; the row is marked for sighted and screen-reader users.
    page.keyboard.press("j")
    current = page.locator("#queue tbody tr.current")
    expect(current).to_have_count(1)
    assert current.get_attribute("aria-current") == "true"
    assert current.locator("a").inner_text() == names[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.locator("#queue tbody tr.current a").inner_text() == names[2]
    page.keyboard.press("j")  # stays on the last row
    assert page.locator("#queue tbody tr.current a").inner_text() == names[2]
    page.keyboard.press("k")
    assert page.locator("#queue tbody tr.current a").inner_text() == names[1]
    assert page.evaluate("document.activeElement.textContent.trim()") == names[1]

    # x checks the current row for a bulk action; the count follows.
    page.keyboard.press("x")
    expect(page.locator("#checked-count")).to_have_text("1 checked")
    assert page.locator("#queue tbody tr.current input[name=ids]").is_checked()

    # The current row survives the live refresh of the queue.
    page.wait_for_timeout(2500)
    assert page.locator("#queue tbody tr.current a").inner_text() == names[1]

    # Typing in a field never triggers a shortcut.
    page.focus("#filters input[name=language]")
    page.keyboard.type("jkx")
    assert page.input_value("#filters input[name=language]") == "jkx"
    assert page.locator("#queue tbody tr.current a").inner_text() == names[1]
    expect(page.locator("#checked-count")).to_have_text("1 checked")
    page.fill("#filters input[name=language]", "")
    page.keyboard.press("Escape")  # leaves the field
    assert page.evaluate("document.activeElement === document.body")

    # ? lists the shortcuts in a dialog that Escape closes.
    page.keyboard.press("Shift+Slash")
    dialog = page.locator("#shortcuts-help")
    expect(dialog).to_be_visible()
    assert "next conversation" in dialog.inner_text() and "send the reply" in dialog.inner_text()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # / goes to the filters.
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.closest('#filters') !== null")
    page.keyboard.press("Escape")

    # o opens the current conversation; r writes, Ctrl+Enter sends, e resolves, u goes back.
    page.keyboard.press("j")
    page.keyboard.press("k")
    opened = page.locator("#queue tbody tr.current a").inner_text()
    page.keyboard.press("o")
    page.wait_for_selector("#reply-text")
    conv = Conversation.objects.get(person__first_name=opened.split()[0])
    assert page.url.endswith(f"/inbox/{conv.pk}/") or str(conv.pk) in page.url
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-text"
    page.keyboard.type("We are on it.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector(".msg.outbound")
    assert Message.objects.filter(conversation=conv, direction="outbound", text="We are on it.").exists()
    page.keyboard.press("e")
    page.wait_for_selector("text=Status: Resolved")
    conv.refresh_from_db()
    assert conv.status == "resolved"
    page.keyboard.press("u")
    page.wait_for_url(f"{live_server.url}/inbox/")

    # g then i goes to the inbox from anywhere in care; g then c to contacts.
    page.keyboard.press("g")
    page.keyboard.press("c")
    page.wait_for_url(f"{live_server.url}/contacts/**")
