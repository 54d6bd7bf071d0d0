"""Measured response: the links of a campaign's template go through a signed redirect that records the click, and an
optional invisible image records opens.

A tracking link carries only a send's id and the position of a link in its template, signed; the redirect goes to
the URL written at that position in the template of the send's variant, so a link can never be bent into an open
redirect. URLs that a template builds from variables are left as they are (there is no fixed URL to check them
against). The unsubscribe link is never rewritten: it goes straight to consent's page."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

from rapport.core.links import public_url

SALT = "rapport.campaigns.track"
URL_RE = re.compile(r"https?://[^\s<>\"'`{}|\\^\[\]]+[^\s<>\"'`{}|\\^\[\].,;:!?)]")
OPEN = "o"


def links_of(source: str) -> list[str]:
    """The fixed URLs written in a template, in order of first appearance (a URL built with {{ }} is not one)."""
    out: list[str] = []
    for m in URL_RE.finditer(source):
        url = m.group(0)
        if source[m.end() : m.end() + 1] == "{":  # continues with a variable: not a fixed URL
            continue
        if url not in out:
            out.append(url)
    return out


def token(send_id: int, link: int | str, *, journey: bool = False) -> str:
    """A campaign send's link ({"s": id}) or a journey email's ({"j": its step run's id})."""
    return signing.dumps({"j" if journey else "s": send_id, "l": link}, salt=SALT, compress=True)


@dataclass
class Target:
    send_id: int
    link: int | str
    journey: bool = False


def read(tok: str) -> Target | None:
    """The send and link a token names, or None for a forged or mangled one."""
    try:
        data = signing.loads(tok, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    journey = "j" in data
    send_id = data.get("j" if journey else "s")
    if not isinstance(send_id, int):
        return None
    link = data.get("l")
    if not (isinstance(link, int) and link >= 0) and link != OPEN:
        return None
    return Target(send_id, link, journey)


def click_url(send_id: int, link: int, *, journey: bool = False) -> str:
    return public_url(reverse("campaigns:click", kwargs={"token": token(send_id, link, journey=journey)}))


def open_url(send_id: int, *, journey: bool = False) -> str:
    return public_url(reverse("campaigns:open", kwargs={"token": token(send_id, OPEN, journey=journey)}))


def rewrite(text: str, links: list[str], send_id: int, *, journey: bool = False) -> str:
    """Replace each fixed template URL in the rendered text with its tracking link."""
    if not links:
        return text
    index = {url: i for i, url in enumerate(links)}
    made: dict[int, str] = {}

    def sub(m: re.Match) -> str:
        i = index.get(m.group(0))
        if i is None:
            return m.group(0)
        if i not in made:
            made[i] = click_url(send_id, i, journey=journey)
        return made[i]

    return URL_RE.sub(sub, text)


def html_part(text: str, pixel: str | None) -> str:
    """The plain text as minimal HTML (escaped, links clickable, line breaks kept), with the open image."""
    escaped = html.escape(text)
    linked = URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
    body = linked.replace("\n", "<br>\n")
    img = f'<img src="{html.escape(pixel)}" width="1" height="1" alt="" style="display:block">' if pixel else ""
    return f"<!doctype html><html><body>{body}{img}</body></html>"
