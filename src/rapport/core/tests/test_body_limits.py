"""Oversized request bodies get a clear 413 (JSON where callers read JSON) before anything reads them."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_an_oversized_api_body_is_413_json(api, settings):
    settings.RAPPORT_MAX_BODY_BYTES = 1000
    r = api.post("/posts", [{"text": "x" * 2000}])
    assert r.status_code == 413
    assert "1000 byte limit" in r.json()["detail"]


def test_an_oversized_webhook_body_is_413_json(client, settings):
    settings.RAPPORT_MAX_BODY_BYTES = 1000
    r = client.post("/webhooks/generic/whatever", data=b"{" + b" " * 5000 + b"}", content_type="application/json")
    assert r.status_code == 413 and r["Content-Type"].startswith("application/json")


def test_a_body_under_the_cap_goes_through(api, settings):
    settings.RAPPORT_MAX_BODY_BYTES = 100_000
    assert api.post("/posts", []).status_code == 200


def test_an_upload_has_its_own_cap(client, settings):
    settings.RAPPORT_MAX_BODY_BYTES = 100
    settings.RAPPORT_MAX_UPLOAD_BYTES = 10_000
    form = client.post("/login/", "f=" + "y" * 500, content_type="application/x-www-form-urlencoded")
    assert form.status_code == 413 and "Too large" in form.content.decode()
    upload = client.post("/login/", {"f": "y" * 500})  # multipart: under the upload cap
    assert upload.status_code == 200
    too_big = client.post("/login/", {"f": "y" * 20_000})
    assert too_big.status_code == 413
