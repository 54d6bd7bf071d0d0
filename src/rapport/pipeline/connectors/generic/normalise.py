"""Pure parsing of a generic webhook body: one post or a list of posts in the JSON-line shape."""

from __future__ import annotations

import json

from ..base import PayloadError, Post
from ..files.client import Rejection
from ..files.normalise import jsonl_to_post

MAX_ITEMS = 1000


def normalise_body(body: bytes) -> tuple[list[Post], list[Rejection]]:
    """Parse the body; return the valid posts and a rejection (line = item index + 1) for each bad item."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PayloadError("body: not valid UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(f"body: invalid JSON ({exc.msg})") from exc
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise PayloadError(f"body: invalid JSON ({exc})") from exc
    except RecursionError:
        raise PayloadError("body: invalid JSON (nested too deeply)") from None
    items = data if isinstance(data, list) else [data]
    if len(items) > MAX_ITEMS:
        raise PayloadError(f"body: more than {MAX_ITEMS} posts in one request")
    posts: list[Post] = []
    rejections: list[Rejection] = []
    for index, item in enumerate(items, start=1):
        try:
            posts.append(jsonl_to_post(item))
        except PayloadError as exc:
            # ensure_ascii keeps a lone surrogate as an escape, so the dead letter itself can be stored.
            rejections.append(Rejection(index, str(exc), json.dumps(item)[:2000]))
    return posts, rejections
