"""A fake feed host serving RSS 2.0 (/rss.xml) and Atom (/atom.xml) built from items added at test time."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

import pytest

from .server import FakeServer, Request, Response, allow_loopback

_START = datetime(2024, 11, 18, 9, 0, tzinfo=UTC)


class FakeFeeds(FakeServer):
    """Keeps items newest-last and renders them newest-first, honouring If-None-Match with 304."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict[str, Any]] = []
        self.route("GET", r"/rss\.xml", self._rss)
        self.route("GET", r"/atom\.xml", self._atom)
        self.route(
            "GET",
            r"/not-a-feed",
            lambda request, match: Response(200, "<html><body>hi</body></html>", content_type="text/html"),
        )

    def add_item(self, title: str, body: str, *, author: str = "hikerhannah") -> dict[str, Any]:
        """Add an entry published one hour after the previous one."""
        n = len(self.items) + 1
        item = {
            "id": f"topic-{n}",
            "title": title,
            "body": body,
            "author": author,
            "published": _START + timedelta(hours=n),
            "link": f"https://forum.example/t/{n}",
        }
        self.items.append(item)
        return item

    def _etag(self, kind: str) -> str:
        digest = hashlib.sha256(repr([(kind, i["id"], i["title"], i["body"]) for i in self.items]).encode())
        return f'"{digest.hexdigest()[:16]}"'

    def _serve(self, request: Request, kind: str, render: str, content_type: str) -> Response:
        etag = self._etag(kind)
        if request.headers.get("if-none-match") == etag:
            return Response(304, None, {"ETag": etag})
        return Response(200, render, {"ETag": etag}, content_type=content_type)

    def _rss(self, request: Request, match: re.Match[str]) -> Response:
        items = "".join(
            f"<item><title>{escape(i['title'])}</title><link>{i['link']}</link>"
            f'<guid isPermaLink="false">{i["id"]}</guid><dc:creator>{escape(i["author"])}</dc:creator>'
            f"<pubDate>{format_datetime(i['published'])}</pubDate>"
            f"<description>{escape('<p>' + i['body'] + '</p>')}</description></item>"
            for i in reversed(self.items)
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>Fake Forum</title><link>https://forum.example/</link>{items}</channel></rss>"
        )
        return self._serve(request, "rss", xml, "application/rss+xml; charset=utf-8")

    def _atom(self, request: Request, match: re.Match[str]) -> Response:
        entries = "".join(
            f'<entry><title>{escape(i["title"])}</title><link href="{i["link"]}"/><id>urn:fake:{i["id"]}</id>'
            f"<published>{i['published'].isoformat()}</published><updated>{i['published'].isoformat()}</updated>"
            f"<author><name>{escape(i['author'])}</name></author><summary>{escape(i['body'])}</summary></entry>"
            for i in reversed(self.items)
        )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>Fake Blog</title><id>urn:fake:blog</id><updated>2024-11-18T09:00:00Z</updated>{entries}</feed>"
        )
        return self._serve(request, "atom", xml, "application/atom+xml; charset=utf-8")


@pytest.fixture
def fake_feeds(settings) -> Iterator[FakeFeeds]:
    """A running FakeFeeds on 127.0.0.1."""
    allow_loopback(settings)
    with FakeFeeds() as server:
        yield server
