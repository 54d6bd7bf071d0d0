"""CSV cells that spreadsheets will not run as formulas (OWASP "CSV injection"), and the inverse for imports.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice and Google
Sheets as a formula, so an attacker's name `=HYPERLINK(...)` would run in the exporting user's spreadsheet.
Every CSV Rapport writes for people goes through `writer` / `DictWriter` here, which prefix such cells with a
single quote. The escape is reversible: a value that already starts with quotes before one of those
characters gets one more quote, and `unescape_cell` (applied by Rapport's own CSV import) removes exactly one,
so `+45 12 34 56 78` and `-Ann` come back from export -> import unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

TRIGGERS = "=+-@\t\r"
_ESCAPE_RE = re.compile(r"'*[=+\-@\t\r]")  # quotes, if any, then a trigger: gets one more quote
_UNESCAPE_RE = re.compile(r"'+[=+\-@\t\r]")  # what escape_cell wrote: drop one quote


def escape_cell(value: Any) -> Any:
    """The value as a spreadsheet will show it as text: a leading formula trigger gets a `'` in front."""
    if isinstance(value, str) and _ESCAPE_RE.match(value):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """Undo escape_cell (and a user's own `'` typed before a trigger to keep a spreadsheet from computing)."""
    return value[1:] if value[:1] == "'" and _UNESCAPE_RE.match(value) else value  # most cells: one comparison


class _Writer:
    """csv.writer with every cell escaped."""

    def __init__(self, fh, **kwargs):
        self._writer = csv.writer(fh, **kwargs)
        self.dialect = self._writer.dialect

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([escape_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh, **kwargs) -> _Writer:
    """A csv.writer whose cells cannot run as formulas."""
    return _Writer(fh, **kwargs)


class DictWriter(csv.DictWriter):
    """csv.DictWriter whose cells (header included) cannot run as formulas."""

    def writerow(self, rowdict: Mapping[str, Any]):
        return super().writerow({k: escape_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)


class _Echo:
    """A file whose write returns what it was given: the csv module writes one line at a time into a stream."""

    def write(self, value: str) -> str:
        return value


def dict_lines(fieldnames: list[str], rows: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    """The header line, then one formula-safe CSV line per row, produced as they are read (constant memory)."""
    out = DictWriter(_Echo(), fieldnames=fieldnames)
    yield out.writeheader()
    for row in rows:
        yield out.writerow(row)


def row_lines() -> _Writer:
    """A formula-safe csv writer whose writerow returns the line instead of writing it."""
    return writer(_Echo())


def download(lines: Iterable[str], filename: str):
    """A streamed CSV download of lines."""
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
