"""Polling channels (RSS / Atom feeds, Mastodon, Bluesky, IMAP): fetch what is new and send it down the pipeline.

The connector's state (ETags, ids already seen, min_id, since) is saved only after the posts were accepted,
so a failed run polls the same window again and the idempotent pipeline stores nothing twice. A channel that
fails (a bad config saved before configs were checked, a refused host, a bug) is logged and its error kept on
the channel; the channels after it are still polled.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from rapport.channels.models import Channel
from rapport.channels.services import connector_facts
from rapport.core.redact import redact_text, redact_url
from rapport.pipeline.connectors.base import ConfigError, ConnectorError, PollResult
from rapport.pipeline.connectors.registry import poll_sources, polled_networks
from rapport.pipeline.ingest import BatchResult
from rapport.pipeline.services import dead_letter, submit_posts

log = logging.getLogger(__name__)
POLLED_NETWORKS = polled_networks()


def _polls(channel: Channel, **http_options: Any):
    """(state key, callable taking state) for every source the channel's config names, from its connector."""

    def sink(**letter: Any) -> None:
        dead_letter(workspace_id=channel.workspace_id, **letter)

    return poll_sources(connector_facts(channel), dead_letter=sink, **http_options)


def poll_channel(channel: Channel, **http_options: Any) -> BatchResult:
    """Poll every source of one channel once; returns the pipeline counts."""
    total = BatchResult()
    state = dict(channel.poll_state or {})
    failures: list[str] = []
    for key, poll in _polls(channel, **http_options):
        try:
            result: PollResult = poll(state.get(key))
        except ConnectorError as exc:
            # Retryable or not, the other sources of the channel still get polled; the state stays as it was.
            log.warning("polling %s (%s) failed: %s", channel, redact_url(key), redact_text(str(exc)))
            failures.append(f"{redact_url(key)}: {redact_text(str(exc))}")
            continue
        if result.posts:
            total.add(
                submit_posts(
                    workspace_id=channel.workspace_id, posts=result.posts, source=f"poll:{channel.network}:{channel.pk}"
                )
            )
        state[key] = result.state
        Channel.objects.filter(pk=channel.pk).update(poll_state=state, polled_at=timezone.now())
    channel.poll_state = state
    if failures:
        _record_error(channel, "; ".join(failures))
    elif channel.last_error:
        Channel.objects.filter(pk=channel.pk).update(last_error="")
        channel.last_error = ""
    return total


def _record_error(channel: Channel, message: str) -> None:
    channel.last_error, channel.last_error_at = message[:2000], timezone.now()
    Channel.objects.filter(pk=channel.pk).update(last_error=channel.last_error, last_error_at=channel.last_error_at)


def poll_all(*, workspace_id: int | None = None, **http_options: Any) -> dict[str, int]:
    """Poll every active polling channel (of one workspace, or all); one failing channel never stops the rest."""
    qs = Channel.objects.filter(active=True, network__in=POLLED_NETWORKS)
    if workspace_id:
        qs = qs.filter(workspace_id=workspace_id)
    total = BatchResult()
    channels = failed = 0
    for channel in qs.order_by("id"):
        channels += 1
        try:
            total.add(poll_channel(channel, **http_options))
        except (ConfigError, ConnectorError) as exc:  # a known kind of failure: the message says it all
            log.warning("polling channel %s (id %s) failed: %s", channel, channel.pk, exc)
            _record_error(channel, f"{type(exc).__name__}: {exc}")
            failed += 1
        except Exception as exc:  # noqa: BLE001 - whatever one channel does, the others are still polled
            log.exception("polling channel %s (id %s) failed", channel, channel.pk)
            _record_error(channel, f"{type(exc).__name__}: {exc}")
            failed += 1
    return {"channels": channels, "failed": failed, **total.summary()}
