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
