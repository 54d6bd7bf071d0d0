"""Links from outside data (a post's URL, a profile URL): only http(s) becomes a link, anything else stays text."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def http_url(value: object) -> str:
    """The URL when it is an absolute http(s) URL with a host, else "" (javascript:, data:, relative, garbage)."""
    text = str(value or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else ""
