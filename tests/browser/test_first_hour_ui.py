"""The demo's first hour in a real browser, as each of its roles: the agent's queue opens on the stories, the
community manager on the social work, a conversation of another team explains itself, the real brand threads
are their brands' (not United's), error pages look like the product, and no link a role sees leads to a 403."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlparse

import pytest
from conftest import PASSWORD
from django.core.management import call_command

from rapport.care.models import Conversation, Message
from rapport.channels.models import Channel
from rapport.core.models import Workspace

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROLES = ["demo", "agent", "marketer", "community", "dpo"]


@pytest.fixture
def demo(monkeypatch, tmp_path, settings):
    monkeypatch.setenv("RAPPORT_DEMO_PASSWORD", PASSWORD)
    call_command("demo", no_serve=True, people=40, touchpoints=200)
    return Workspace.objects.get(slug="demo")


def sign_in(page, live_server, who: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", f"{who}@rapport.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/(contacts|inbox|mentions)/$"))


def queue_rows(page) -> list[str]:
    return [r.inner_text() for r in page.locator("#queue tbody tr").all()]


def test_each_role_starts_where_its_work_is(page, live_server, demo):
    sign_in(page, live_server, "agent")
    assert page.url.endswith("/inbox/")  # the agent's first screen is the queue
    rows = queue_rows(page)
    assert "Margaret Ellison" in rows[0] and "Refused entry to the lounge" in rows[0]
    assert "Hanne Kristensen" in rows[1]
    page.locator("#queue tbody tr").nth(1).locator("a").first.click()
    assert page.locator(".msg.inbound").count() == 4  # all four of Hanne's contacts, phone, chat, email, phone
    page.context.clear_cookies()

    sign_in(page, live_server, "marketer")
    assert page.url.endswith("/mentions/")
    page.context.clear_cookies()

    sign_in(page, live_server, "community")
    assert page.url.endswith("/inbox/")
    rows = queue_rows(page)
    assert rows and all("Social" in r for r in rows), rows[:3]
    # The senator is the VIP desk's: following a link to her conversation explains where it is.
    senator = Conversation.objects.get(workspace=demo, person__external_id="story-senator")
    response = page.goto(f"{live_server.url}/inbox/{senator.pk}/")
    assert response.status == 403
    text = page.locator("#error-page").inner_text()
    assert "VIP desk" in text and "not in that team" in text
    assert page.locator("header nav a", has_text="Inbox").count() == 1  # the product's layout, not a bare page
    response = page.goto(f"{live_server.url}/inbox/99999999/")
    assert response.status == 404 and "There is nothing here" in page.locator("#error-page").inner_text()


def test_real_care_threads_are_their_brands_not_uniteds(page, live_server, demo):
    assert not Message.objects.filter(workspace=demo, external_id__startswith="twcs-").exists()
    assert set(Channel.objects.filter(workspace=demo).values_list("handle", flat=True)) == {"united"}
    desk = Workspace.objects.get(slug="care-desk")
    threads = Conversation.objects.filter(workspace=desk).select_related("brand_channel")
    assert threads.count() > 40
    for conv in threads[:60]:
        answered_by = conv.messages.filter(direction="outbound").first()
        assert conv.brand_channel is not None and answered_by.brand_channel_id == conv.brand_channel_id
    assert {"AppleSupport", "AmazonHelp"} <= {c.brand_channel.handle for c in threads}

    sign_in(page, live_server, "agent")
    with page.expect_navigation():
        page.select_option("select[name=workspace]", label=desk.name)  # the switcher submits itself
    assert page.url.endswith("/inbox/") and page.locator("select[name=workspace]").input_value() == desk.slug
    brands = page.locator("#queue tbody .brand-account").all_inner_texts()
    assert brands and all(b.startswith("to @") and b != "to @united" for b in brands)


def _same_origin_links(page, base: str) -> set[str]:
    hrefs = page.eval_on_selector_all(
        "a[href]:visible, form[method=get][action]:visible",
        "els => els.map(e => e.getAttribute('href') || e.getAttribute('action'))",
    )
    found = set()
    for href in hrefs:
        url = urljoin(page.url, href)
        parts = urlparse(url)
        if url.startswith(base) and not parts.path.startswith(("/logout", "/api/", "/admin/logout")):
            found.add(url.split("#")[0])
    return found


def _refused_links(page, live_server, who: str) -> tuple[int, list[str]]:
    sign_in(page, live_server, who)
    base = live_server.url
    todo, seen, refused = [f"{base}/contacts/", f"{base}/mentions/"], set(), []
    # Two levels deep from the first screens: the nav's lists, their first records, and the buttons on those.
    for depth in range(3):
        nxt = []
        for url in todo:
            if url in seen or len(seen) > 50:
                continue
            seen.add(url)
            response = page.request.get(url)
            if response.status == 403:
                refused.append(urlparse(url).path)
                continue
            if depth < 2 and response.headers.get("content-type", "").startswith("text/html"):
                page.goto(url)
                # One record of each kind is enough: /contacts/12/ and /contacts/13/ show the same buttons.
                shapes: dict[str, str] = {}
                for link in sorted(_same_origin_links(page, base)):
                    shapes.setdefault(re.sub(r"\d+", "N", urlparse(link).path), link)
                nxt.extend(shapes.values())
        todo = nxt
    page.context.clear_cookies()
    return len(seen), refused


def test_no_link_a_role_sees_leads_to_a_refusal(page, live_server, demo):
    for who in ROLES:
        seen, refused = _refused_links(page, live_server, who)
        assert seen > 5
        assert refused == [], f"{who} sees links that refuse them: {refused}"


def test_error_pages_use_the_layout(page, live_server, demo):
    sign_in(page, live_server, "marketer")
    response = page.goto(f"{live_server.url}/inbox/")
    assert response.status == 403
    assert "The marketer role may not use the inbox." in page.locator("#error-page").inner_text()
    assert page.locator("header.topbar nav").count() == 1
    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    assert "/no-such-page/" in page.locator("#error-page").inner_text()
    assert page.locator("#error-page a", has_text="Go to contacts").count() == 1
