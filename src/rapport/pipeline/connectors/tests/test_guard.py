"""The outbound guard: internal addresses in any spelling are refused, redirects re-checked, connections pinned."""

from __future__ import annotations

import socket

import pytest
from tests.fakes.mastodon import TOKEN, FakeMastodon
from tests.fakes.rss import FakeFeeds
from tests.fakes.server import FakeServer, Response

from rapport.pipeline.connectors.email.client import SmtpClient
from rapport.pipeline.connectors.email.imap import ImapClient
from rapport.pipeline.connectors.http import HttpClient
from rapport.pipeline.connectors.mastodon import MastodonClient
from rapport.pipeline.connectors.outbound import OutboundBlocked, resolve_checked
from rapport.pipeline.connectors.rss import RssClient

INTERNAL = [
    "127.0.0.1",
    "localhost",
    "2130706433",  # decimal
    "0177.0.0.1",  # octal
    "0x7f.1",  # hex, short
    "127.1",  # short
    "0",
    "0.0.0.0",
    "::ffff:127.0.0.1",  # IPv4-mapped IPv6
    "[::1]",
    "::",
    "10.0.0.7",
    "172.16.3.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # CGNAT
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
    "::ffff:10.1.2.3",
]


@pytest.fixture(autouse=True)
def no_allow_list(settings):
    settings.RAPPORT_OUTBOUND_ALLOW = []


@pytest.mark.parametrize("host", INTERNAL)
def test_every_spelling_of_an_internal_address_is_refused(host):
    with pytest.raises(OutboundBlocked):
        resolve_checked(host, 80)


def test_a_public_address_passes_and_the_allow_list_opens_internal_ones(settings):
    assert resolve_checked("93.184.216.34", 443) == ["93.184.216.34"]
    settings.RAPPORT_OUTBOUND_ALLOW = ["10.0.0.0/8", "Intranet.Example"]
    assert resolve_checked("10.2.3.4", 80) == ["10.2.3.4"]
    assert resolve_checked("::ffff:10.2.3.4", 80)
    with pytest.raises(OutboundBlocked):
        resolve_checked("192.168.0.1", 80)


def test_a_feed_on_a_loopback_service_is_not_fetched():
    with FakeFeeds() as feeds:
        feeds.add_item("secret", "internal admin page")
        with pytest.raises(OutboundBlocked, match="loopback"):
            RssClient(max_retries=0).poll(feeds.url + "/rss.xml")
        url = feeds.url.replace("127.0.0.1", "2130706433")
        with pytest.raises(OutboundBlocked):
            RssClient(max_retries=0).poll(url + "/rss.xml")
        assert feeds.requests == []


def test_only_http_and_https():
    for url in ("file:///etc/passwd", "gopher://example.com/", "ftp://example.com/feed"):
        with pytest.raises(OutboundBlocked, match="refusing"):
            HttpClient(base_url="", network="rss", max_retries=0).request("GET", url)


class Redirector(FakeServer):
    def __init__(self, target: str | None = None) -> None:
        super().__init__()
        self.target = target
        self.route("GET", r"/go", lambda r, m: Response(302, "", {"Location": self.target or f"{self.url}/go"}))
        self.route("GET", r"/ok", lambda r, m: Response(200, {"authorization": r.headers.get("authorization")}))


def test_a_redirect_to_an_internal_address_is_refused(settings):
    # The operator trusts the name "localhost" (the fake), not 127.0.0.1: a redirect there must be re-checked.
    settings.RAPPORT_OUTBOUND_ALLOW = ["localhost"]
    with Redirector() as app, Redirector() as outside:
        outside.target = f"{app.url}/ok"  # e.g. the app's own port
        start = outside.url.replace("127.0.0.1", "localhost")
        with pytest.raises(OutboundBlocked, match="loopback"):
            HttpClient(base_url="", network="rss", max_retries=0).request("GET", f"{start}/go")
        assert len(outside.requests) == 1 and app.requests == []


def test_redirects_are_capped(settings):
    settings.RAPPORT_OUTBOUND_ALLOW = ["127.0.0.1"]
    with Redirector() as loop:
        with pytest.raises(OutboundBlocked, match="redirects"):
            HttpClient(base_url="", network="rss", max_retries=0).request("GET", f"{loop.url}/go")
        assert len(loop.requests) == 6  # the first request and five redirects


def test_the_token_is_not_sent_on_to_another_origin(settings):
    settings.RAPPORT_OUTBOUND_ALLOW = ["127.0.0.1"]
    with Redirector() as first, Redirector() as second:
        first.target = f"{second.url}/ok"
        client = HttpClient(base_url=first.url, network="mastodon", headers={"Authorization": "Bearer t"})
        assert client.json("GET", "/go") == {"authorization": None}


def test_a_client_with_a_base_url_keeps_its_token_on_that_host(settings):
    settings.RAPPORT_OUTBOUND_ALLOW = ["127.0.0.1"]
    with Redirector() as instance, Redirector() as elsewhere:
        client = HttpClient(base_url=instance.url, network="mastodon", headers={"Authorization": "Bearer t"})
        assert client.json("GET", f"{instance.url}/ok") == {"authorization": "Bearer t"}  # e.g. a Link: next page
        with pytest.raises(OutboundBlocked, match="leaves"):
            client.request("GET", f"{elsewhere.url}/ok")
        assert elsewhere.requests == []


def test_responses_are_capped_in_size(settings):
    settings.RAPPORT_OUTBOUND_ALLOW = ["127.0.0.1"]
    with FakeServer() as big:
        big.route("GET", r"/big", lambda r, m: Response(200, "x" * 50_000, content_type="text/plain"))
        client = HttpClient(base_url=big.url, network="rss", max_retries=0, max_bytes=10_000)
        with pytest.raises(OutboundBlocked, match="larger"):
            client.request("GET", "/big")
        assert HttpClient(base_url=big.url, network="rss").request("GET", "/big").text == "x" * 50_000


def test_the_body_of_a_redirect_answer_is_capped_too(settings, monkeypatch):
    from rapport.pipeline.connectors import outbound

    settings.RAPPORT_OUTBOUND_ALLOW = ["127.0.0.1"]
    monkeypatch.setattr(outbound, "MAX_RESPONSE_BYTES", 10_000)
    with FakeServer() as server:
        server.route("GET", r"/go", lambda r, m: Response(302, "x" * 50_000, {"Location": "/ok"}, "text/plain"))
        server.route("GET", r"/ok", lambda r, m: Response(200, "fine", content_type="text/plain"))
        with pytest.raises(OutboundBlocked, match="larger"):
            HttpClient(base_url=server.url, network="rss", max_retries=0).request("GET", "/go")
        assert [r.path for r in server.requests] == ["/go"]


def test_the_connection_goes_to_the_address_that_was_checked(settings, monkeypatch):
    # DNS rebinding: the first answer is allowed, any later one would point elsewhere. Only one lookup happens.
    settings.RAPPORT_OUTBOUND_ALLOW = ["127.0.0.1"]
    real = socket.getaddrinfo
    lookups = []

    def rebinding(host, *args, **kwargs):
        if host == "feeds.rebind.example":
            lookups.append(host)
            host = "127.0.0.1" if len(lookups) == 1 else "10.9.9.9"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with FakeFeeds() as feeds:
        feeds.add_item("Hello", "boots")
        url = feeds.url.replace("127.0.0.1", "feeds.rebind.example") + "/rss.xml"
        assert len(RssClient(max_retries=0).poll(url).posts) == 1
        assert lookups == ["feeds.rebind.example"]
        assert feeds.requests[0].headers["host"].startswith("feeds.rebind.example:")


def test_a_mastodon_token_is_not_sent_to_a_loopback_instance():
    with FakeMastodon() as instance:
        instance.add_status("hi #acme", tags=("acme",))
        client = MastodonClient(base_url=instance.url.replace("127.0.0.1", "[::ffff:127.0.0.1]"), access_token=TOKEN)
        with pytest.raises(OutboundBlocked):
            client.poll_hashtag("acme")
        assert instance.requests == []


def test_imap_and_smtp_hosts_are_checked_before_connecting():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        imap = ImapClient(host="0x7f.1", port=port, username="u", password="p", ssl=False, timeout=1)
        with pytest.raises(OutboundBlocked):
            imap.poll()
        smtp = SmtpClient(host="127.0.0.1", port=port, from_address="a@b.example", starttls=False, timeout=1)
        with pytest.raises(OutboundBlocked):
            smtp.send_reply(text="hi", to="c@d.example")
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody connected
