"""Members write questions and answers in Markdown; the public pages show it through an allow-list sanitiser.

Two independent layers, so a mistake in one is caught by the other:

1. markdown-it-py (CommonMark) renders the text with raw HTML turned off: `<script>` or `<img onerror=…>` typed by
   a member comes out as visible text, never as markup.
2. nh3 (the Ammonia sanitiser) then keeps only the tags and attributes in the allow-list below, only http, https
   and mailto links (no javascript:, data:, vbscript: or relative tricks), and marks every link
   rel="nofollow ugc noopener" so spam links earn nothing and a linked page cannot reach back into ours.

Images are not embedded: `![a photo](https://host/x.png)` becomes a link to the picture. An image from an arbitrary
host would tell that host who reads the page and when (a tracking pixel), could be swapped for something else after
a moderator has looked, and proxying it instead would make our server fetch any address a stranger types (a
server-side request forgery risk, plus storage and bandwidth). A link keeps the reader's choice to open it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

TAGS = {
    "p", "br", "hr", "strong", "em", "s", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"
LINK_RE = re.compile(r"https?://|www\.|mailto:", re.IGNORECASE)


def _image_as_link(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    src = escapeHtml(str(token.attrGet("src") or ""))
    alt = escapeHtml(self.renderInlineAsText(token.children or [], options, env) or "image")
    return f'<a href="{src}">{alt} (image)</a>'


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_link)
    return md


def sanitise(html: str) -> str:
    """Only the allow-listed markup survives; links are http(s) or mailto and carry rel="nofollow ugc noopener"."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        clean_content_tags={"script", "style"},
        strip_comments=True,
        url_relative="deny",
    )


def render(text: str) -> str:
    """A member's Markdown as safe HTML. Headings start at h3: the page's own h1 and h2 stay the page's outline."""
    html = _parser().render(text or "")
    html = re.sub(r"<(/?)h([12])>", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 2}>", html)
    return sanitise(html)


def link_count(text: str) -> int:
    """How many links a text carries (written as Markdown links or bare addresses): a spam signal for new members."""
    return len(LINK_RE.findall(text or ""))
