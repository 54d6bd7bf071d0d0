"""The 500 page is the product's page, and still renders when the request's own context cannot be built."""

from unittest import mock

import pytest
from django.test import RequestFactory

from rapport.web.views import server_error


@pytest.mark.django_db
def test_server_error_page_says_what_happened_in_the_layout():
    request = RequestFactory().get("/contacts/")
    request.workspace = None
    response = server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert 'class="topbar"' in body and "Something went wrong on our side" in body
    assert "may not have been saved" in body


def test_server_error_page_renders_even_when_the_context_fails():
    request = RequestFactory().get("/contacts/")
    with mock.patch("rapport.core.context_processors.Member.objects") as members:
        members.select_related.side_effect = RuntimeError("database is down")
        request.workspace = object()
        request.role = "agent"
        request.user = mock.Mock(is_authenticated=True)
        response = server_error(request)
    assert response.status_code == 500 and "Something went wrong on our side" in response.content.decode()


@pytest.mark.django_db
def test_a_database_or_queue_that_is_restarting_is_a_503_with_retry_after_not_a_500(admin_client, monkeypatch):
    """Webhook senders and clients retry a 503; a 500 would tell them the request itself was wrong."""
    import json
    import time

    import redis
    from django.db import OperationalError
    from django.test import Client

    from rapport.channels.services import upsert_channel
    from rapport.core.actors import Actor
    from rapport.core.models import Workspace
    from rapport.core.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
    from rapport.pipeline.queue import InProcessQueue

    workspace = Workspace.objects.get()
    feed = upsert_channel(
        workspace=workspace, actor=Actor.system("t"), network="generic", handle="feed", credentials={"secret": "s" * 32}
    )

    def queue_down(self, **kwargs):
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(InProcessQueue, "enqueue", queue_down)
    body = json.dumps(
        {
            "network": "x",
            "external_id": "1",
            "created_at": "2026-11-30T10:00:00Z",
            "text": "hi",
            "author": {"handle": "a"},
        }
    ).encode()
    ts = int(time.time())
    client = Client(raise_request_exception=False)
    response = client.post(
        f"/webhooks/generic/{feed.webhook_key}",
        body,
        content_type="application/json",
        **{
            f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}": sign(body, timestamp=ts, secret="s" * 32),
            f"HTTP_{TIMESTAMP_HEADER.upper().replace('-', '_')}": str(ts),
        },
    )
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "queue is not answering" in response.json()["detail"]

    def database_down(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("rapport.contacts.services.search_people", database_down)
    admin_client.raise_request_exception = False
    page = admin_client.get("/contacts/")
    assert page.status_code == 503 and "Back in a moment" in page.content.decode()
    assert "database is not answering" in page.content.decode()
