"""A live token is exchanged for a fresh one; the old one stops working at once; a revoked one cannot refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import ApiClient
from django.utils import timezone

from rapport.core.models import ApiToken

pytestmark = pytest.mark.django_db


def test_refresh_gives_a_new_token_and_ends_the_old(api, settings):
    assert settings.RAPPORT_TOKEN_TTL_HOURS == 24
    r = api.post("/auth/token/refresh")
    assert r.status_code == 200
    fresh = r.json()["token"]
    assert fresh != api.token
    assert api.get("/contacts").status_code == 401  # the old token is revoked
    new = ApiClient(fresh)
    assert new.get("/contacts").status_code == 200
    token = ApiToken.objects.get(prefix=fresh[:10])
    assert timedelta(hours=23) < token.expires_at - timezone.now() <= timedelta(hours=24)
    assert new.post("/auth/token/refresh").status_code == 200
    assert new.post("/auth/token/refresh").status_code == 401  # refreshed once already
