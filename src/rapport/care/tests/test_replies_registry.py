"""Replies never branch on the network: how a reply is addressed is each connector folder's `reply_args`."""

from __future__ import annotations

import ast
from pathlib import Path

from rapport.care import replies
from rapport.pipeline.connectors import registry
from rapport.pipeline.connectors.base_channel import ReplyTarget

NETWORKS = {*registry.NETWORK_MODULES, *registry.NETWORK_MODULES.values()}


def _network_literals(node: ast.AST) -> set[str]:
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in NETWORKS:
            found.add(n.value)
    return found


def test_the_reply_path_compares_no_network_name():
    tree = ast.parse(Path(replies.__file__).read_text())
    branches = {
        name for node in ast.walk(tree) if isinstance(node, ast.Compare | ast.Match) for name in _network_literals(node)
    }
    assert not branches, f"care/replies.py branches on {sorted(branches)}"


def _target(network: str, kind: str, **kw) -> ReplyTarget:
    base = {"text": "On its way", "network": network, "last_external_id": "m-9", "last_kind": kind}
    return ReplyTarget(**{**base, **kw})


def test_each_network_addresses_its_reply_as_its_api_wants():
    dm = {"account_id": "tw-42", "last_in_reply_to": "thread-1"}
    assert registry.reply_args(_target("twitter", "direct_message", **dm))["in_reply_to"] == "42"
    assert registry.reply_args(_target("twitter", "mention")) == {"text": "On its way", "in_reply_to": "m-9"}
    assert registry.reply_args(_target("instagram", "comment")) == {
        "text": "On its way",
        "in_reply_to": "m-9",
        "kind": "comment",
        "network": "instagram",
    }
    assert registry.reply_args(_target("facebook", "direct_message", account_id="psid-7"))["in_reply_to"] == "psid-7"
    mail = registry.reply_args(
        _target("email", "direct_message", last_text="Booking 4471\n\nWhere is it?", email="ana@mail.example")
    )
    assert mail == {"text": "On its way", "to": "ana@mail.example", "in_reply_to": "m-9", "subject": "Booking 4471"}
    assert registry.reply_args(_target("mastodon", "direct_message", last_in_reply_to="acct-3"))["in_reply_to"] == (
        "acct-3"
    )
