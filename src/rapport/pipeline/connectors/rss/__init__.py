"""RSS/Atom connector for blogs, forums and review sites."""

from .client import RssClient

__all__ = ["RssClient"]
