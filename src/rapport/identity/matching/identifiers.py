"""Identifiers found in free text: emails, phones and customer numbers in messages; handles in bios and URLs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers

NETWORK_HOSTS = {
    "twitter.com": "twitter",
    "x.com": "twitter",
    "mobile.twitter.com": "twitter",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "m.facebook.com": "facebook",
    "instagram.com": "instagram",
    "linkedin.com": "linkedin",
    "bsky.app": "bluesky",
}
_URL = re.compile(r"(?:https?://)?(?:www\.)?([a-z0-9.-]+\.[a-z]{2,})/(@?[\w.\-]+)(?:/([\w.\-]+))?", re.I)
_FEDI = re.compile(r"(?<![\w@])@([a-z0-9_]{2,30})@([a-z0-9-]+(?:\.[a-z0-9-]+)+)", re.I)
_AT = re.compile(r"(?<![\w@/])@([a-z0-9_][a-z0-9_.]{2,29})(?![\w@])", re.I)
_EMAIL = re.compile(r"[\w.+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}", re.I)
# Loyalty/customer number phrases in the languages Rapport's customers write in.
_CUSTOMER_WORDS = (
    r"member(?:ship)?|customer|client|account|loyalty|rewards?|club ?card|clubcard|card|frequent[ \-]?fl[yi]er|"
    r"kunde(?:n)?|kundenr|medlem(?:s)?|klant|lid|adherent|socio|cliente|numero de (?:socio|cliente)"
)
_CUSTOMER = re.compile(
    rf"\b(?:{_CUSTOMER_WORDS})[ \-]?(?:number|nummer|nr|no|num|id|card|kort|kortnummer|#)?\.?"
    r"(?:\s+(?:(?:ist|is|est|es|er|är)\b|:))?\s*[:#]?\s*"
    # The number, with up to three letters before it ("LC 10442"), but not a little word like "is" read as a prefix.
    r"((?!(?:is|er|ist|är|es|est|no|nr)\b)[A-Z]{0,3}[ \-]?\d[\d \-]{2,24}\d)",
    re.I,
)
_CUSTOMER_AFTER = re.compile(
    r"\b(?:numéro (?:client|de membre|d'adhérent))\s*(?:est)?\s*:?\s*(\d[\d \-]{2,24}\d)", re.I
)
_JUNK_HANDLES = frozenset({"home", "share", "intent", "search", "hashtag", "explore", "p", "in", "profile", "pages"})


@dataclass(slots=True)
class Identifiers:
    """Identifiers extracted from one piece of text (normalised)."""

    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    customer_numbers: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.emails or self.phones or self.customer_numbers)


def normalise_handle(value: str | None) -> str | None:
    """Lowercase handle with the leading '@' stripped; None for empty values."""
    if not value:
        return None
    h = str(value).strip().lower().lstrip("@")
    return h or None


def handle_from_url(url: str) -> tuple[str, str] | None:
    """(network, handle) from a profile URL such as https://x.com/jdoe or https://bsky.app/profile/a.bsky.social."""
    m = _URL.search(url.strip())
    if not m:
        return None
    host, part, rest = m.group(1).lower(), m.group(2).lower(), (m.group(3) or "").lower()
    host = host[4:] if host.startswith("www.") else host
    net = NETWORK_HOSTS.get(host)
    if net in ("linkedin", "bluesky") and part in ("in", "profile") and rest:
        return net, rest
    if part.startswith("@") and net is None:
        return "mastodon", f"{part[1:]}@{host}"
    if net and part not in _JUNK_HANDLES:
        return net, part.lstrip("@")
    return None


def extract_mentions(text: str) -> set[str]:
    """Bare handles a bio points at (profile links, @user@instance, @handle), lowercase without '@'."""
    out: set[str] = set()
    for m in _URL.finditer(text):
        found = handle_from_url(m.group(0))
        if found:
            out.add(found[1].split("@", 1)[0])
    for m in _FEDI.finditer(text):
        out.add(m.group(1).lower())
    scrubbed = _EMAIL.sub(" ", text)
    for m in _AT.finditer(scrubbed):
        out.add(m.group(1).lower().rstrip("."))
    return {h for h in out if len(h) >= 3}


def extract_identifiers(text: str, *, default_region: str = "GB") -> Identifiers:
    """Find emails, phone numbers (E.164) and customer/loyalty numbers in free message text."""
    from .normalise import normalise_customer_number, normalise_email

    found = Identifiers()
    if not text:
        return found
    for m in _EMAIL.finditer(text):
        email = normalise_email(m.group(0))
        if email and email not in found.emails:
            found.emails.append(email)
    masked = _EMAIL.sub(" ", text)
    for rx in (_CUSTOMER, _CUSTOMER_AFTER):
        for m in rx.finditer(masked):
            number = normalise_customer_number(m.group(1))
            if number and number not in found.customer_numbers:
                found.customer_numbers.append(number)
            # A customer number must not also be read as a phone number.
            masked = masked.replace(m.group(1), " " * len(m.group(1)))
    for pm in phonenumbers.PhoneNumberMatcher(masked, default_region, leniency=phonenumbers.Leniency.VALID):
        e164 = phonenumbers.format_number(pm.number, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in found.phones:
            found.phones.append(e164)
    return found
