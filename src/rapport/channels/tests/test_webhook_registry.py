"""One webhook view for every network: what a network's webhook is comes from its connector folder, never from
channels. A network that exists only in the tests (`connectors/tests/tincan`) receives webhooks through the same
view with no change here, and the view's module names no network at all."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import resolve, reverse

from rapport.channels import webhooks
from rapport.channels.services import upsert_channel, webhook_path
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent
from rapport.listening.models import Post
from rapport.pipeline import deadletters
from rapport.pipeline.connectors import registry
from rapport.pipeline.connectors.tests.tincan.channel import SIGNATURE_HEADER, sign
from rapport.pipeline.models import DeadLetter

pytestmark = pytest.mark.django_db
CHANNELS = Path(webhooks.__file__).resolve().parent
TINCAN_HEADER = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tincan(monkeypatch, workspace):
    """The test-only network registered the way a new folder is: one line in NETWORK_MODULES."""
    monkeypatch.setitem(registry.NETWORK_MODULES, "tincan", "tests.tincan")
    return upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="tincan",
        handle="acme-can",
        credentials={"secret": "string", "ping_word": "hello"},
    )


def _post(url: str, body: bytes, **headers):
    return Client().post(url, body, content_type="application/json", **headers)


def _messages(*items: dict) -> bytes:
    return json.dumps({"messages": list(items)}).encode()


def test_a_network_added_as_one_folder_receives_webhooks_through_the_one_view(tincan, workspace):
    url = webhook_path(tincan)
    assert url == f"/webhooks/tincan/{tincan.webhook_key}"
    body = _messages({"id": "c1", "said": "Is anyone there?", "from": "ann"}, {"id": "c2", "said": "Hello?"})
    assert _post(url, body, **{TINCAN_HEADER: sign(body, secret="wrong")}).status_code == 401
    assert _post(url, body).status_code == 401 and not Post.objects.exists()
    good = _post(url, body, **{TINCAN_HEADER: sign(body, secret="string")})
    assert good.status_code == 200 and good.json() == {"received": 2, "stored": 2, "duplicates": 0}
    stored = Post.objects.filter(workspace=workspace, network="tincan").order_by("external_id")
    assert [p.text for p in stored] == ["Is anyone there?", "Hello?"]
    again = _post(url, body, **{TINCAN_HEADER: sign(body, secret="string")})
    assert again.json()["replayed"] is True and Post.objects.count() == 2


def test_the_new_network_s_bad_body_is_dead_lettered_in_its_format_and_replayed_by_its_folder(tincan, workspace):
    url = webhook_path(tincan)
    body = json.dumps({"messages": "not a list"}).encode()
    r = _post(url, body, **{TINCAN_HEADER: sign(body, secret="string")})
    assert r.status_code == 202 and r.json()["detail"].startswith("messages:")
    letter = DeadLetter.objects.get(pk=r.json()["dead_letter_id"])
    assert letter.format == "tincan" and letter.source == f"webhook:tincan:{tincan.pk}"
    DeadLetter.objects.filter(pk=letter.pk).update(payload=_messages({"id": "c9", "said": "fixed"}).decode())
    counts = deadletters.replay(workspace_id=workspace.pk, ids=[letter.pk])
    assert counts["replayed"] == 1 and Post.objects.get(workspace=workspace).external_id == "c9"


def test_the_new_network_s_get_check_is_answered_limited_and_audited_as_it_declares(tincan):
    url = webhook_path(tincan)
    ok = Client().get(url, {"ping": "hello"})
    assert ok.status_code == 200 and ok.content == b"pong" and ok["Content-Type"].startswith("text/plain")
    refused = Client().get(url, {"ping": "goodbye"})
    assert refused.status_code == 400 and refused.json() == {"detail": "ping: wrong word"}
    limited = Client().get(url, {"ping": "hello"})
    assert limited.status_code == 429 and limited["Retry-After"] == "60"
    actions = list(AuditEvent.objects.filter(object_id=str(tincan.pk)).order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["channel.ping_answered", "channel.ping_refused"]


def test_the_existing_paths_and_names_reach_the_one_view():
    for name in ("meta", "x", "generic", "email"):
        path = reverse(f"webhooks:{name}", kwargs={"key": "k1"})
        assert path == f"/webhooks/{name}/k1"
        assert resolve(path).func is webhooks.receive and resolve(path).kwargs == {"name": name, "key": "k1"}
    assert resolve("/webhooks/tincan/k1").func is webhooks.receive  # a later network needs no route of its own


def test_one_webhook_per_name_and_every_channel_network_is_addressed_by_its_own():
    assert registry.webhook_names() == ("email", "generic", "meta", "x")
    assert registry.webhook_networks("meta") == ("facebook", "instagram")
    assert registry.webhook("facebook") is registry.webhook("instagram")
    assert registry.webhook_networks("x") == ("twitter",) and registry.webhook_networks("mastodon") == ()
    assert [registry.webhook(n) for n in ("mastodon", "bluesky", "rss", "myspace")] == [None] * 4


def test_a_network_without_webhooks_gets_a_clear_404(workspace):
    polled = upsert_channel(
        workspace=workspace,
        actor=Actor.system(),
        network="mastodon",
        handle="acme@social.example",
        config={"base_url": "https://social.example"},
    )
    r = _post(f"/webhooks/mastodon/{polled.webhook_key}", b"{}")
    assert r.status_code == 404 and r.json() == {"detail": "mastodon receives no webhooks"}
    unknown = _post("/webhooks/myspace/k1", b"{}")
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "unknown webhook 'myspace'; known: email, generic, meta, x"}


def test_a_channel_is_only_reached_under_its_own_network_s_name(workspace):
    meta = upsert_channel(
        workspace=workspace, actor=Actor.system(), network="facebook", handle="acme", credentials={"app_secret": "s"}
    )
    for name in ("x", "generic", "email"):
        assert _post(f"/webhooks/{name}/{meta.webhook_key}", b"{}").status_code == 404


def test_methods_the_webhook_does_not_answer_get_405_with_allow(workspace):
    generic = upsert_channel(
        workspace=workspace, actor=Actor.system(), network="generic", handle="g", credentials={"secret": "s"}
    )
    r = Client().get(webhook_path(generic))
    assert r.status_code == 405 and r["Allow"] == "POST" and "use POST" in r.json()["detail"]
    assert Client().put("/webhooks/meta/whatever").status_code == 405
    assert Client().put("/webhooks/meta/whatever")["Allow"] == "GET, POST"


def test_a_body_past_the_cap_is_refused_with_json_413_by_the_view_itself(settings, workspace):
    """The middleware refuses by Content-Length; the view checks the body it read, whatever the header said."""
    ch = upsert_channel(
        workspace=workspace, actor=Actor.system(), network="generic", handle="g", credentials={"secret": "s"}
    )
    settings.RAPPORT_MAX_BODY_BYTES = 100
    request = RequestFactory().post(webhook_path(ch), b"[" + b" " * 500 + b"]", content_type="application/json")
    response = webhooks.receive(request, name="generic", key=ch.webhook_key)
    assert response.status_code == 413 and "over the 100 byte limit" in json.loads(response.content)["detail"]
    assert not DeadLetter.objects.exists()


def _literals(tree: ast.AST) -> set[str]:
    """The module's string literals, f-string parts included, docstrings left out (prose may name networks)."""
    docs = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    }


def test_the_webhook_view_and_routes_name_no_network():
    names = {*registry.NETWORK_MODULES, *registry.NETWORK_MODULES.values(), *registry.webhook_names()}
    folders = set(registry.NETWORK_MODULES.values())
    for module in ("webhooks.py", "urls.py"):
        tree = ast.parse((CHANNELS / module).read_text())
        literals = _literals(tree)
        words = {word for text in literals for word in re.split(r"[^a-z0-9_.]+", text.lower())}
        branches = names & words
        assert not branches, f"channels/{module} names networks {sorted(branches)}"
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not {m for m in imported for f in folders if m.startswith(f"rapport.pipeline.connectors.{f}")}
        identifiers = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert not {i for i in identifiers if i.endswith("Connector")}, module
    views = [n for n in ast.parse((CHANNELS / "webhooks.py").read_text()).body if isinstance(n, ast.FunctionDef)]
    public = [v.name for v in views if not v.name.startswith("_")]
    assert public == ["receive"]
