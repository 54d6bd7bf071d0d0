"""Care services, the inbox's API for other apps: one import for what lives in the modules named below.

- `intake`: stored posts, their authors linked (identity.posts_linked), routed into conversations, a batch at a time.
- `conversations`: opening or joining a person's conversation, customer messages, notes, status, CSAT.
- `replies`: answers through the channel the customer used, canned replies, delivery retries.
"""

from __future__ import annotations

from rapport.care.conversations import (
    RELOCATION,
    SEVERITY,
    add_inbound,
    add_note,
    add_system_note,
    log_contact,
    open_or_join,
    record_csat,
    resolve,
    set_status,
    set_tags,
)
from rapport.care.intake import on_posts_linked, route_posts
from rapport.care.replies import MAX_ATTEMPTS, deliver, render_canned, reply, retry_failed

__all__ = [
    "MAX_ATTEMPTS",
    "RELOCATION",
    "SEVERITY",
    "add_inbound",
    "add_note",
    "add_system_note",
    "deliver",
    "log_contact",
    "on_posts_linked",
    "open_or_join",
    "record_csat",
    "render_canned",
    "reply",
    "resolve",
    "retry_failed",
    "route_posts",
    "set_status",
    "set_tags",
]
