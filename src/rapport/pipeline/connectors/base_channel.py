"""What a connector needs of a brand channel, without the channels app: the facts the channel row holds.

Each network's folder has a `channel.py` that builds its clients from these facts: `reply_client()` for replies,
`reply_args()` for how a reply is addressed (optional: `default_reply_args`), `poll_sources()` for what
`rapport poll` fetches, `replay()` for its dead letters, and `webhook`, a `Webhook`
saying how its inbound requests are checked and read. The registry finds them by network, so replies, polling,
webhooks and replay never branch on the network themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .base import PollResult, Post
from .files.client import Rejection

PollSource = tuple[str, Callable[[Any], PollResult]]  # (state key, poll(state) -> result)
DeadLetterSink = Callable[..., Any]  # dead_letter(source=..., fmt=..., payload=..., reason=...)


@dataclass(frozen=True)
class ChannelFacts:
    """A brand channel as its connector sees it."""

    network: str
    pk: int | None = None
    workspace_id: int | None = None
    handle: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    credentials: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReplyTarget:
    """What a reply answers, as the inbox knows it: the customer's last inbound message on the network and the
    account it came from. A network's `channel.py` may define `reply_args(target)` for how its client is called;
    `default_reply_args` serves the others."""

    text: str  # the reply
    network: str
    last_external_id: str  # the customer's last inbound message on this network
    last_kind: str = "post"  # "direct_message", "mention", "comment", ...
    last_in_reply_to: str = ""
    last_text: str = ""
    account_id: str = ""  # the network's id of the customer's account (an email: the sender address)
    email: str = ""  # the contact's email on file, when the conversation is on a contact


def default_reply_args(target: ReplyTarget) -> dict[str, Any]:
    """A private message goes to the account; anything else is a public reply to the last message."""
    if target.last_kind == "direct_message":
        recipient = target.account_id or target.last_in_reply_to
        return {"text": target.text, "in_reply_to": recipient, "kind": "direct_message"}
    return {"text": target.text, "in_reply_to": target.last_external_id}


@dataclass(frozen=True)
class Challenge:
    """A network's GET check that the webhook URL is ours (Meta's hub.challenge, X's CRC).

    `answer(query, credentials)` returns the body to send back (text, or an object sent as JSON) or raises
    SignatureError, which is answered with `refused_status`. `limits` are (scope, requests, seconds) with scope
    "channel" or "ip", counted under "<webhook>-<name>:<scope>:<id>". With `audit` set, every answer and refusal
    is audited as "channel.<name>_answered" / "channel.<name>_refused" with the caller's address and the facts
    `audit(query)` returns (never the secret-derived answer).
    """

    answer: Callable[[Mapping[str, str], dict[str, Any]], str | dict[str, Any]]
    name: str = "challenge"
    refused_status: int = 403
    limits: tuple[tuple[str, int, int], ...] = ()
    audit: Callable[[Mapping[str, str]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Webhook:
    """How a network's inbound webhook requests are checked and read; the channels app applies the shared steps
    (size cap, channel lookup, replay cache, dead letters, submit) to every network the same way.

    - `name`: the path segment (`/webhooks/<name>/<key>`), the dead letters' format and the submit source.
    - `verify(body, headers, credentials)`: check the request against the channel's credentials; return the
      request's signature (the key of the replay cache) or raise SignatureError (answered 401, nothing kept).
    - `parse(body)`: the posts in a verified body and the items rejected one by one, or PayloadError when the
      body as a whole cannot be read (dead-lettered and acknowledged with 202, so the sender does not retry).
    - `replay_window`: seconds a handled signed request is remembered and acknowledged without being handled again.
    - `itemised`: the body is a list of items each accepted or rejected alone; the answer lists the rejected ones.
    - `challenge`: the GET check the network makes of the URL, if any (otherwise GET is not allowed).
    """

    name: str
    verify: Callable[[bytes, Mapping[str, str], dict[str, Any]], str]
    parse: Callable[[bytes], tuple[list[Post], list[Rejection]]]
    replay_window: int
    itemised: bool = False
    challenge: Challenge | None = None

    @property
    def methods(self) -> tuple[str, ...]:
        """The HTTP methods the webhook answers."""
        return ("GET", "POST") if self.challenge is not None else ("POST",)


def reply_options(credentials: dict[str, Any]) -> dict[str, Any]:
    """HTTP options shared by the reply clients: no retries inside a send (retry_failed's job), the channel's
    base URL when it has one."""
    opts: dict[str, Any] = {"max_retries": 0}
    if credentials.get("base_url"):
        opts["base_url"] = credentials["base_url"]
    return opts
