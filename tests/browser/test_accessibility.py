"""Every page passes axe-core (vendored in tests/browser/assets) with no serious or critical violation, walked as
each of the five roles through the links its pages offer (axe itself is checked to catch a planted violation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PASSWORD
from django.utils import timezone

from rapport.care import services as care
from rapport.care.models import Team
from rapport.care.tests.helpers import ACTOR, brand, person, social_policy
from rapport.core.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).resolve().parent / "assets" / "axe-4.14.1.min.js"
SKIP = ("/logout", "/admin", "/api/", "/webhooks/", "/chat/", "export", ".csv")
ROLES = [Role.ADMIN, Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER, Role.DPO]


@pytest.fixture
def furnished(workspace):
    """A workspace with something on every page: a customer with a conversation, a post, a team."""
    Team.objects.create(workspace=workspace, name="Service", networks=["chat", "phone", "twitter"])
    brand(workspace)
    social_policy(workspace, first=60)
    ana = person(workspace, "Ana", "Lopez", handle="analopez")
    care.log_contact(
        workspace=workspace, actor=ACTOR, person=ana, network="chat", kind="chat",
        text="My parcel never arrived, can you help?", occurred_at=timezone.now(),
    )
    return workspace


def axe_violations(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)"""
    )
    return list(found)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_can_reach_passes_axe(browser, live_server, furnished, member_factory, role):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # to inject axe only
    page = context.new_page()
    page.set_default_timeout(15_000)
    email = member_factory(furnished, role).user.email
    page.goto(f"{live_server.url}/login/")
    assert not axe_violations(page), "sign-in page"
    # The check itself can fail: an image without a text alternative is a critical violation.
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')")
    assert any(v.startswith("image-alt (critical)") for v in axe_violations(page))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    to_visit, seen, problems = [page.url.removeprefix(live_server.url)], set(), {}
    while to_visit and len(seen) < 25:
        path = to_visit.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(live_server.url + path)
        assert response is not None and response.status < 400, f"{role} {path}: {response and response.status}"
        if violations := axe_violations(page):
            problems[path] = violations
        links = page.eval_on_selector_all("header a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))")
        for href in links:
            if href.startswith("/") and not href.startswith("//") and not any(s in href for s in SKIP):
                target = href.split("#")[0]
                if target not in seen and target.count("/") <= 3 and "?" not in target:
                    to_visit.append(target)
    context.close()
    assert len(seen) >= 4, seen
    assert not problems, "\n".join(f"{role} {path}: {v}" for path, vs in problems.items() for v in vs)
