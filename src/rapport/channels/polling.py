"""Polling channels (RSS / Atom feeds, Mastodon, Bluesky, IMAP): fetch what is new and send it down the pipeline.

The connector's state (ETags, ids already seen, min_id, since) is saved only after the posts were accepted,
so a failed run polls the same window again and the idempotent pipeline stores nothing twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from rapport.channels.models import Channel
from rapport.core.redact import redact_text, redact_url
from rapport.pipeline import deadletters
from rapport.pipeline.connectors.base import ConnectorError, PollResult
from rapport.pipeline.ingest import BatchResult
from rapport.pipeline.queue import enqueue

log = logging.getLogger(__name__)
POLLED_NETWORKS = ("rss", "mastodon", "bluesky", "email")


def _polls(channel: Channel, **http_options: Any):
    """(state key, callable taking state) for every source the channel's config names."""
    cfg, creds = channel.config or {}, channel.credentials
    if channel.network == "rss":
        from rapport.pipeline.connectors.rss import RssClient

        client = RssClient(**http_options)
        for url in cfg.get("feeds", []):
            yield url, lambda state, url=url: client.poll(url, state=state)
    elif channel.network == "mastodon":
        from rapport.pipeline.connectors.mastodon import MastodonClient

        client = MastodonClient(base_url=cfg["base_url"], access_token=creds.get("access_token"), **http_options)
        for tag in cfg.get("hashtags", []):
            yield f"#{tag.lstrip('#')}", lambda state, tag=tag: client.poll_hashtag(tag, state=state)
        if cfg.get("mentions"):
            yield "mentions", lambda state: client.poll_mentions(state=state)
    elif channel.network == "email" and cfg.get("imap_host"):
        from rapport.pipeline.connectors.email.imap import ImapClient

        client = ImapClient(
            host=cfg["imap_host"],
            port=int(cfg.get("imap_port") or 993),
            username=creds.get("imap_username") or channel.handle,
            password=creds.get("imap_password", ""),
            ssl=bool(cfg.get("imap_ssl", True)),
            mailbox=cfg.get("mailbox", "INBOX"),
        )

        def poll_mailbox(state, client=client):
            result = client.poll(state=state)
            for uid, reason, raw in client.rejected:  # unreadable mail is kept for an admin, never dropped
                deadletters.record(
                    workspace_id=channel.workspace_id,
                    source=f"poll:email:{channel.pk}:uid:{uid}",
                    fmt="email",
                    payload=raw.decode("utf-8", "replace"),
                    reason=reason,
                )
            return result

        yield f"imap:{cfg.get('mailbox', 'INBOX')}", poll_mailbox
    elif channel.network == "bluesky":
        from rapport.pipeline.connectors.bluesky import BlueskyClient

        options = {"base_url": cfg["base_url"]} if cfg.get("base_url") else {}
        client = BlueskyClient(
            identifier=channel.handle, app_password=creds.get("app_password", ""), **options, **http_options
        )
        for query in cfg.get("search", []):
            yield f"search:{query}", lambda state, query=query: client.poll_search(query, state=state)
        if cfg.get("notifications"):
            yield "notifications", lambda state: client.poll_notifications(state=state)


def poll_channel(channel: Channel, **http_options: Any) -> BatchResult:
    """Poll every source of one channel once; returns the pipeline counts."""
    total = BatchResult()
    state = dict(channel.poll_state or {})
    for key, poll in _polls(channel, **http_options):
        try:
            result: PollResult = poll(state.get(key))
        except ConnectorError as exc:
            # Retryable or not, the other sources of the channel still get polled; the state stays as it was.
            log.warning("polling %s (%s) failed: %s", channel, redact_url(key), redact_text(str(exc)))
            continue
        if result.posts:
            total.add(
                enqueue(
                    workspace_id=channel.workspace_id, posts=result.posts, source=f"poll:{channel.network}:{channel.pk}"
                )
            )
        state[key] = result.state
        Channel.objects.filter(pk=channel.pk).update(poll_state=state, polled_at=timezone.now())
    channel.poll_state = state
    return total


def poll_all(*, workspace_id: int | None = None, **http_options: Any) -> dict[str, int]:
    """Poll every active polling channel (of one workspace, or all)."""
    qs = Channel.objects.filter(active=True, network__in=POLLED_NETWORKS)
    if workspace_id:
        qs = qs.filter(workspace_id=workspace_id)
    total = BatchResult()
    channels = 0
    for channel in qs.order_by("id"):
        total.add(poll_channel(channel, **http_options))
        channels += 1
    return {"channels": channels, **total.summary()}
