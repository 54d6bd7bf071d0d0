"""Fixtures shared by every test: workspaces, members of each role, authenticated API clients."""

from __future__ import annotations

import os

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from rapport.core.models import Role, Workspace
from rapport.core.services import create_member, get_or_create_workspace, issue_token

# CI runs the property tests with a fixed seed so that a run can be repeated exactly; a developer's runs explore.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")

PASSWORD = "Test-Password-4821"


def login(member) -> Client:
    """A browser-like client signed in as this member (the web pages, not the API)."""
    client = Client()
    assert client.login(username=member.user.email, password=PASSWORD)
    return client


class ApiClient:
    """A JSON client for /api/v1 that sends a bearer token."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params, **self._headers())

    def post(self, path: str, body=None):
        return self.client.post(
            f"/api/v1{path}", body if body is not None else {}, content_type="application/json", **self._headers()
        )

    def patch(self, path: str, body):
        return self.client.patch(f"/api/v1{path}", body, content_type="application/json", **self._headers())

    def put(self, path: str, body):
        return self.client.put(f"/api/v1{path}", body, content_type="application/json", **self._headers())

    def delete(self, path: str):
        return self.client.delete(f"/api/v1{path}", **self._headers())


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (webhook replay memory, rate limits): ids repeat across tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: the language a request activated stays active in the thread
    (as in a server, where the next request's middleware activates its own), so a view called directly, or an
    error page, would otherwise speak the previous test's language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture(autouse=True)
def _still_rate_limit_clock(monkeypatch):
    """Rate-limit windows do not roll over mid-test: a test counting ten hits cannot straddle two windows."""
    monkeypatch.setattr("rapport.core.ratelimit.clock", lambda: 1_800_000_000.0)


@pytest.fixture
def workspace(db) -> Workspace:
    return get_or_create_workspace(slug="acme", name="Acme")[0]


@pytest.fixture
def other_workspace(db) -> Workspace:
    return get_or_create_workspace(slug="globex", name="Globex")[0]


@pytest.fixture
def member_factory(db):
    def make(workspace: Workspace, role: str = Role.ADMIN, email: str | None = None):
        return create_member(
            email=email or f"{role}@{workspace.slug}.example", password=PASSWORD, workspace=workspace, role=role
        )

    return make


@pytest.fixture
def admin(workspace, member_factory):
    return member_factory(workspace, Role.ADMIN)


@pytest.fixture
def admin_client(admin) -> Client:
    """The web pages signed in as the workspace's admin (the settings pages are theirs)."""
    return login(admin)


@pytest.fixture
def api_factory(member_factory):
    def make(workspace: Workspace, role: str = Role.ADMIN) -> ApiClient:
        member = member_factory(workspace, role)
        token, _ = issue_token(email=member.user.email, password=PASSWORD, workspace_slug=workspace.slug)
        return ApiClient(token)

    return make


@pytest.fixture
def api(api_factory, workspace) -> ApiClient:
    return api_factory(workspace, Role.ADMIN)
