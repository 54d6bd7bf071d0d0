"""Fake network servers for the polling tests (they live in <project>/tests/fakes, outside the package)."""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[4]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.fakes.discourse import fake_discourse  # noqa: E402
from tests.fakes.mastodon import fake_mastodon  # noqa: E402
from tests.fakes.rss import fake_feeds  # noqa: E402

__all__ = ["fake_discourse", "fake_feeds", "fake_mastodon"]
