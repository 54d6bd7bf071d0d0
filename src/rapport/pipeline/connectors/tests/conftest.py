"""Shared fixtures for connector tests: fake servers, fixture loading and the real data directory."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

CONNECTORS_DIR = Path(__file__).resolve().parents[1]
PROJECT_ROOT = Path(__file__).resolve().parents[5]
if str(PROJECT_ROOT) not in sys.path:
    # The fake servers live in <project>/tests/fakes, outside the installed package.
    sys.path.insert(0, str(PROJECT_ROOT))

from tests.fakes.bluesky import fake_bluesky  # noqa: E402
from tests.fakes.discourse import fake_discourse  # noqa: E402
from tests.fakes.mastodon import fake_mastodon  # noqa: E402
from tests.fakes.outbound import fake_graph, fake_x  # noqa: E402
from tests.fakes.rss import fake_feeds  # noqa: E402

__all__ = ["fake_bluesky", "fake_discourse", "fake_feeds", "fake_graph", "fake_mastodon", "fake_x"]


def load_fixture(network: str, name: str) -> Any:
    """Load connectors/<network>/fixtures/<name> (JSON, or text for other extensions)."""
    path = CONNECTORS_DIR / network / "fixtures" / name
    return json.loads(path.read_text("utf-8")) if path.suffix == ".json" else path.read_text("utf-8")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real-data directory (RAPPORT_DATA_DIR, else <project>/../shared/data)."""
    path = Path(os.environ.get("RAPPORT_DATA_DIR") or PROJECT_ROOT.parent / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"real data directory {path} is not available")
    return path


@pytest.fixture
def waits() -> list[float]:
    """Backoff waits recorded instead of slept: pass `sleep=waits.append` to a client."""
    return []
