"""Markdown in questions and answers: real XSS payloads come out inert, ordinary Markdown still works."""

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from rapport.community import markdown, services
from rapport.community.tests.helpers import category, member

PAYLOADS = [
    "[click](javascript:alert(document.cookie))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "[![x](javascript:alert(1))](https://ok.example)",
    "`code` <details open ontoggle=alert(1)>",
    "<!-- <script>alert(1)</script> -->",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "**<img src=x onerror=alert(1)>**",
    "> <a href='javascript:alert(1)'>quoted</a>",
]


class _Elements(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))


ACTIVE_TAGS = {"script", "svg", "img", "iframe", "style", "details", "object", "embed", "math", "form", "input"}


def danger(html: str) -> list[str]:
    """What in this HTML would run or load: an active element, an event handler, a script or data URL. Escaped text
    (a member writing about `<img onerror>`) is text, not an element, and is fine."""
    bad = []
    for tag, attrs in _Elements(html).found:
        if tag in ACTIVE_TAGS:
            bad.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                bad.append(f"{tag}[{name}]")
            if name in ("href", "src") and re.match(r"\s*(javascript|vbscript|data):", value, re.IGNORECASE):
                bad.append(f"{tag}[{name}={value}]")
    return bad


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_render_inert(payload):
    html = markdown.render(payload)
    assert not danger(html), html
    # Every link that survives is http(s) or mailto, and marked as user content that earns nothing.
    for tag in re.findall(r"<a\b[^>]*>", html):
        assert 'rel="nofollow ugc noopener"' in tag, tag
        href = re.search(r'href="([^"]*)"', tag)
        assert href is None or re.match(r"(https?|mailto):", href.group(1)), tag


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_sanitiser_alone_stops_what_a_careless_renderer_lets_through(payload):
    """A renderer with raw HTML on lets most payloads through: the allow-list sanitiser must stop them by itself."""
    unsafe = MarkdownIt("commonmark", {"html": True}).render(payload)
    assert not danger(markdown.sanitise(unsafe))


def test_unsanitised_rendering_would_fail_these_checks():
    """The checks above have teeth: the same payloads through an HTML-enabled renderer trip them."""
    caught = [p for p in PAYLOADS if danger(MarkdownIt("commonmark", {"html": True}).render(p))]
    assert len(caught) >= 9
    for p in ("<img src=x onerror=alert(1)>", "<script>alert(1)</script>", '<a href="javascript:alert(1)">x</a>'):
        assert p in caught


def test_ordinary_markdown_still_renders():
    html = markdown.render(
        "# Fix\n\n**Clean** the *port*, see [Apple](https://support.apple.com/kb) or "
        "[mail us](mailto:help@a1.example).\n\n- one\n- two\n\n```\nsettings > general\n```\n\n~~old~~"
    )
    assert "<h3>Fix</h3>" in html and "<strong>Clean</strong>" in html and "<em>port</em>" in html
    assert '<a href="https://support.apple.com/kb" rel="nofollow ugc noopener">Apple</a>' in html
    assert 'href="mailto:help@a1.example"' in html
    assert "<li>one</li>" in html and "<pre><code>settings &gt; general" in html and "<s>old</s>" in html


def test_images_become_links_not_embeds():
    html = markdown.render("![my router](https://photos.example/router.jpg)")
    assert "<img" not in html
    assert '<a href="https://photos.example/router.jpg" rel="nofollow ugc noopener">my router (image)</a>' in html


def test_relative_and_protocol_relative_links_lose_their_address():
    for text in ("[x](//evil.example/)", "[x](/admin/)", "[x](../q/1)"):
        assert "href" not in markdown.render(text), text


def test_link_count_sees_markdown_and_bare_links():
    assert markdown.link_count("see [a](https://a.example) and www.b.example or http://c.example") == 3
    assert markdown.link_count("no links here, just a.b") == 0


@pytest.mark.django_db
def test_the_question_page_renders_markdown_and_no_payload(client, workspace):
    cat = category(workspace)
    asker, helper = member(workspace, "asker"), member(workspace, "helper")
    q = services.ask(author=asker, category=cat, title="Phone will not charge", body="It **stopped**. " + PAYLOADS[8])
    for p in PAYLOADS:
        services.answer(question=q, author=helper, body=f"Try this: {p}")
    html = client.get(f"/community/{workspace.slug}/q/{q.pk}/").content.decode()
    main = html.split('<main id="main">', 1)[1]
    assert "<strong>stopped</strong>" in main
    assert not danger(main), danger(main)
