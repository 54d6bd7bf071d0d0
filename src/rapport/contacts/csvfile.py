"""The contacts CSV format: canonical headers, the columns a file needs, and `--map` onto them. Reading the file
(encoding, delimiter, line numbers of multi-line rows) is core's csvread, shared with the other imports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from rapport.core import csvread
from rapport.core.csvread import (
    DELIMITERS,
    UNCLOSED,
    Dialect,
    detect_delimiter,
    parse_delimiter,
)
from rapport.core.csvread import CsvFileError as ImportFileError
from rapport.core.networks import HANDLE_NETWORKS

NETWORK_COLUMNS = list(HANDLE_NETWORKS)
CANONICAL_HEADERS = [
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "organisation",
    "job_title",
    "street",
    "city",
    "postcode",
    "region",
    "country",
    "date_of_birth",
    "customer_number",
    *NETWORK_COLUMNS,
    "tags",
    "lifecycle_stage",
]
NAME_COLUMNS = {"first_name", "last_name", "email"}

__all__ = [
    "CANONICAL_HEADERS",
    "DELIMITERS",
    "NAME_COLUMNS",
    "NETWORK_COLUMNS",
    "UNCLOSED",
    "Dialect",
    "ImportFileError",
    "detect_delimiter",
    "parse_delimiter",
    "parse_mapping",
    "read_rows",
]


def parse_mapping(spec: str | None) -> dict[str, str]:
    """`src=field,src2=field2` -> {"src": "field"}; raises ImportFileError on unknown target fields."""
    return csvread.parse_mapping(spec, CANONICAL_HEADERS)


def read_rows(
    stream: IO[bytes],
    *,
    mapping: dict[str, str],
    encoding: str = "utf-8-sig",
    delimiter: str | None = None,
    dialect: Dialect | None = None,
) -> tuple[list[str], Iterator[tuple[int, dict[str, str] | None, str | None]]]:
    """Headers (canonical) and an iterator of (line, row or None, error), as core's csvread reads them; a file
    needs first_name, last_name or email."""
    header, rows = csvread.read_rows(stream, mapping=mapping, encoding=encoding, delimiter=delimiter, dialect=dialect)
    if not NAME_COLUMNS & set(header):
        raise ImportFileError(
            "missing required columns: the file needs first_name, last_name or email "
            f"(found: {', '.join(h for h in header if h) or 'none'}); map yours with --map src=field"
        )
    return header, rows
