"""Only http(s) URLs from outside data are rendered as links."""

from __future__ import annotations

import pytest

from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role
from rapport.listening.models import Post
from rapport.pipeline.tests.factories import make_post
from rapport.web.templatetags.links import http_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<b>x</b>",
        "//evil.example/x",
        "/relative",
        "vbscript:x",
        "http://",
        "https:///path",
        "mailto:a@b.c",
        "",
        None,
    ],
)
def test_what_is_not_a_web_link_is_refused(value):
    assert http_url(value) == ""


def test_web_links_are_kept():
    assert http_url("https://x.com/a/status/1") == "https://x.com/a/status/1"
    assert http_url("HTTP://example.org") == "HTTP://example.org"


def test_the_pages_render_no_javascript_link(client, member_factory, workspace, django_capture_on_commit_callbacks):
    from rapport.pipeline.ingest import process_batch

    client.force_login(member_factory(workspace, Role.ADMIN).user)
    person = create_person(
        workspace=workspace,
        actor=Actor.system("t"),
        data={"first_name": "Eve"},
        identities=[{"network": "twitter", "handle": "eve", "profile_url": "javascript:alert(1)"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        process_batch(workspace_id=workspace.pk, posts=[make_post(1, "hello", url="javascript:alert(2)")])
    assert Post.objects.get().url == "javascript:alert(2)"  # stored as given ...
    for page in (client.get(f"/contacts/{person.pk}/"), client.get("/mentions/")):
        assert page.status_code == 200
        assert "javascript:" not in page.content.decode()  # ... never rendered as a link
