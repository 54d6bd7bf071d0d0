"""A user in a real browser reads Rapport in their language: the browser's at first, the one they choose on the
account page from then on; the sign-in page's language links switch it before signing in."""

import pytest
from conftest import PASSWORD

from rapport.core.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def german_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_the_browsers_language_then_the_users_own_choice(german_page, live_server, workspace, member_factory):
    page = german_page
    member = member_factory(workspace, Role.ADMIN)
    page.goto(f"{live_server.url}/login/")
    assert page.locator("h1").inner_text() == "Bei Rapport anmelden"
    assert page.locator("html").get_attribute("lang") == "de"
    page.click("nav.languages a:has-text('Nederlands')")
    assert page.locator("h1").inner_text() == "Inloggen bij Rapport"
    page.fill("input[name=username]", member.user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/contacts/")
    assert page.locator("header nav a.active").inner_text() == "Contacten"  # the cookie the link set
    page.click(f"header a:has-text('{member.user.email}')")
    page.select_option("#language select[name=language]", "da")
    page.click("#language button[type=submit]")
    page.wait_for_url(f"{live_server.url}/account/")
    assert "Dit sprog er gemt." in page.locator(".messages").inner_text()
    assert page.locator("h1").inner_text() == "Din konto"
    page.click("header nav a:has-text('Indstillinger')")
    assert page.locator("h1").inner_text().startswith("Indstillinger for")
    assert page.locator("header form button").inner_text() == "Log ud"
