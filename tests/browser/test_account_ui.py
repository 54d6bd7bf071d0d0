"""A user in a real browser: wrong passwords lock the sign-in; the account page revokes an API token."""

import pytest
from conftest import PASSWORD, ApiClient

from rapport.core.models import Role
from rapport.core.services import issue_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_user_revokes_a_token_from_the_account_page(page, live_server, workspace, member_factory):
    member = member_factory(workspace, Role.MARKETER)
    raw, _ = issue_token(email=member.user.email, password=PASSWORD, name="nightly export")
    sign_in(page, live_server, member.user.email, PASSWORD)
    page.wait_for_url(f"{live_server.url}/mentions/")  # a marketer starts on the mentions
    page.click(f"header a:has-text('{member.user.email}')")
    page.wait_for_url(f"{live_server.url}/account/")
    row = page.locator("table.tokens tr", has_text="nightly export")
    assert raw[:10] in row.inner_text() and raw not in page.content()
    row.locator("button:has-text('Revoke')").click()
    page.wait_for_url(f"{live_server.url}/account/")
    assert "is revoked" in page.locator(".messages").inner_text()
    assert page.locator("table.tokens tr", has_text="nightly export").count() == 0
    assert ApiClient(raw).get("/contacts").status_code == 401


def test_repeated_wrong_passwords_show_the_lockout_page(page, live_server, workspace, member_factory):
    email = member_factory(workspace, Role.AGENT).user.email
    for _ in range(5):
        sign_in(page, live_server, email, "not-the-password")
    sign_in(page, live_server, email, PASSWORD)
    assert "Too many failed sign-ins" in page.locator("h1").inner_text()
    assert page.url.endswith("/login/")
