"""Credentials out of log lines: `scheme://user:password@host` keeps its host and loses the secret."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

# userinfo of any URL-ish text: scheme://user:pass@ or scheme://token@ (up to the first @ before the host)
_USERINFO_RE = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^/@\s?#]+)@")
REDACTED = "***"


def redact_url(url: str) -> str:
    """The URL with any user name and password replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if parts.username is None and parts.password is None:
        return redact_text(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def redact_text(text: str) -> str:
    """Every URL's credentials in a free text (an exception message, a log line) replaced by ***."""
    return _USERINFO_RE.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)


class RedactCredentials(logging.Filter):
    """A logging filter that redacts URL credentials in the message and in the traceback of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True
