"""File imports: JSON lines and the airline / customer-support tweet CSVs."""

from __future__ import annotations

from typing import ClassVar

from .client import FORMATS, ParsedLine, Rejection, detect_format, iter_records

__all__ = ["FORMATS", "FileConnector", "ParsedLine", "Rejection", "detect_format", "iter_records"]


class FileConnector:
    """Streams posts out of files on disk."""

    network: ClassVar[str] = "files"
    capabilities: ClassVar[frozenset[str]] = frozenset({"file"})
    formats = FORMATS
    iter_records = staticmethod(iter_records)
    detect_format = staticmethod(detect_format)
