"""Every page carries a Content-Security-Policy that allows no inline script but its own nonce."""

from __future__ import annotations

import re

import pytest

from rapport.core.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/inbox/", "/mentions/", "/contacts/", "/account/", "/login/"])
def test_pages_allow_only_their_own_scripts(client, member_factory, workspace, path):
    if path != "/login/":
        client.force_login(member_factory(workspace, Role.ADMIN).user)
    page = client.get(path)
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([\w-]+)'", policy).group(1)
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    html = page.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonce}"' in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=\"", html), "an inline event handler"
    assert page["Referrer-Policy"] == "same-origin" and page["X-Frame-Options"] == "DENY"


def test_each_response_has_a_fresh_nonce(client):
    first, second = client.get("/login/"), client.get("/login/")
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"]


def test_json_answers_carry_no_page_policy(api):
    assert "Content-Security-Policy" not in api.get("/contacts")
