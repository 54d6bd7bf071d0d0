"""Checks shared by the connectors' validate_config: each reads one key, records a reason per bad key, returns it clean.

Configs are typed by people (API, forms), so every shape is checked before it is saved and again before a poll:
a missing base_url is a clear error naming the key, never a KeyError in the poller.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .base import ConfigError
from .outbound import destination_problem

MAX_ITEMS = 100  # feeds, hashtags or searches per channel: more is a mistake or an abuse of the poller
MAX_TEXT = 500


def mapping(config: Any) -> dict[str, Any]:
    """The config as a dict, or a ConfigError naming the whole config."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ConfigError({"": "must be a JSON object"})
    return dict(config)


def url(config: dict[str, Any], key: str, errors: dict[str, str], *, required: bool = False) -> str | None:
    """An http(s) URL of a public host (or an allow-listed internal one); stored without a trailing slash."""
    value = config.get(key)
    if value in (None, ""):
        if required:
            errors[key] = "is required"
        return None
    problem = url_problem(value)
    if problem:
        errors[key] = problem
        return None
    return value.strip().rstrip("/")


def url_problem(value: Any) -> str | None:
    """Why value cannot be fetched from, or None."""
    if not isinstance(value, str) or len(value) > 2000 or any(c.isspace() for c in value.strip()):
        return "must be an http(s) URL without spaces"
    parts = urlsplit(value.strip())
    if parts.fragment:
        return "must not carry a #fragment"
    return destination_problem(value.strip(), url=True)


def host(config: dict[str, Any], key: str, errors: dict[str, str], *, required: bool = False) -> str | None:
    """A bare host name (IMAP, SMTP) of a public host, or an allow-listed internal one."""
    value = config.get(key)
    if value in (None, ""):
        if required:
            errors[key] = "is required"
        return None
    if not isinstance(value, str) or len(value) > 253:
        errors[key] = "must be a host name, e.g. imap.example.com"
        return None
    problem = destination_problem(value.strip(), url=False)
    if problem:
        errors[key] = problem
        return None
    return value.strip().lower()


def text_list(config: dict[str, Any], key: str, errors: dict[str, str], *, check=None) -> list[str]:
    """A list of non-empty strings; `check(item)` may return a reason to refuse one item (named key.index)."""
    value = config.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[key] = "must be a list of strings"
        return []
    if len(value) > MAX_ITEMS:
        errors[key] = f"at most {MAX_ITEMS} entries"
        return []
    items = []
    for i, item in enumerate(value):
        item = item.strip()
        if not item:
            problem = "must not be empty"
        elif len(item) > MAX_TEXT:
            problem = f"at most {MAX_TEXT} characters"
        else:
            problem = check(item) if check else None
        if problem:
            errors[f"{key}.{i}"] = problem
        else:
            items.append(item)
    return items


def boolean(config: dict[str, Any], key: str, errors: dict[str, str], *, default: bool = False) -> bool:
    """true or false (JSON booleans only: "false" as a string would be truthy)."""
    value = config.get(key, default)
    if not isinstance(value, bool):
        errors[key] = "must be true or false"
        return default
    return value


def integer(config: dict[str, Any], key: str, errors: dict[str, str], *, low: int, high: int) -> int | None:
    """A whole number in [low, high]; digits in a string are accepted (forms send text)."""
    value = config.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[key] = f"must be a whole number from {low} to {high}"
        return None
    return value


def finish(config: dict[str, Any], cleaned: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """Raise the collected errors, or return the config with its checked keys replaced by their clean values."""
    if errors:
        raise ConfigError(errors)
    merged = {**config, **cleaned}
    return {k: v for k, v in merged.items() if v is not None}
