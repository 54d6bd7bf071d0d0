"""Reading CSV files people bring from spreadsheets and other systems, shared by every import: the encoding
(byte-order marks, UTF-16 without one, Windows-1252), the delimiter, header names and `--map`, and rows with the
line they start on. A bad row is named by its line and never stops the rows beside it; what columns a file needs
and what a row means are each import's own."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from rapport.core.csvsafe import unescape_cell


class CsvFileError(Exception):
    """The file as a whole cannot be read (empty, an unknown encoding, a header that is not text, a bad option)."""


def norm_header(name: str) -> str:
    """A header as a field name: trimmed, lower case, spaces and hyphens as underscores, no byte-order mark."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


def parse_mapping(spec: str | None, targets: Iterable[str]) -> dict[str, str]:
    """`src=field,src2=field2` -> {"src": "field"}; raises CsvFileError when a target is not one of `targets`."""
    targets = list(targets)
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        src, sep, dst = part.partition("=")
        dst = norm_header(dst)
        if not sep or dst not in targets:
            raise CsvFileError(f"--map {part!r}: the target must be one of {', '.join(targets)}")
        mapping[norm_header(src)] = dst
    return mapping


class _LineTracker:
    """Counts physical lines as csv consumes them, so a multi-line quoted row is reported by its first line, and
    keeps the lines of the record being read, so a quote left open at the end of the file can be undone."""

    def __init__(self, stream: Iterator[str] | IO[str]):
        self.stream = stream
        self.lines = 0
        self.record: list[str] = []
        self.ended = False

    def __iter__(self) -> Iterator[str]:
        for line in self.stream:
            self.lines += 1
            self.record.append(line)
            yield line
        self.ended = True

    def take(self) -> list[str]:
        """The physical lines of the record just read (and start the next record)."""
        record, self.record = self.record, []
        return record


UNCLOSED = "a quoted field opened on this line is never closed (the lines after it are read again as rows)"


def _records(
    tracker: _LineTracker, reader: Iterator[list[str]], start: int, delimiter: str
) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(first line, values or None, error) per record. A quote opened and never closed would swallow every line
    after it into one field: that record is rejected by its line and the lines after it are read again as rows."""
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            tracker.take()
            yield start, None, f"not valid CSV ({exc})"
            start = tracker.lines + 1
            continue
        lines = tracker.take()
        if tracker.ended and len(lines) > 1 and sum(line.count('"') for line in lines) % 2:
            yield start, None, UNCLOSED
            again = _LineTracker(iter(lines[1:]))
            yield from _records(again, csv.reader(again, delimiter=delimiter), start + 1, delimiter)
            return
        yield start, values, None
        start = tracker.lines + 1


DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}


@dataclass
class Dialect:
    """How a file was read: said back to the user, since both may have been detected."""

    encoding: str = "utf-8"
    delimiter: str = ","


def parse_delimiter(value: str | None) -> str | None:
    """`--delimiter` as given (",", ";", "tab", "|"), or None to detect it; CsvFileError for anything else."""
    if value in (None, "", "auto"):
        return None
    if value not in DELIMITERS:
        raise CsvFileError(f"--delimiter {value!r}: use one of , ; tab | (or auto)")
    return DELIMITERS[value]


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a header line: the candidate found most often outside quotes (German and Danish Excel
    save with semicolons, "Unicode text" with tabs); a comma when none is found."""
    counts = dict.fromkeys((",", ";", "\t", "|"), 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


def read_rows(
    stream: IO[bytes],
    *,
    mapping: dict[str, str],
    encoding: str = "utf-8-sig",
    delimiter: str | None = None,
    dialect: Dialect | None = None,
) -> tuple[list[str], Iterator[tuple[int, dict[str, str] | None, str | None]]]:
    """Headers (normalised, then mapped) and an iterator of (line, row or None, error) over a CSV byte stream.

    A byte-order mark decides the encoding (UTF-8 or UTF-16, as spreadsheets save "Unicode text"); so does the
    NUL pattern of UTF-16 without one; a file asked for as UTF-8 whose first 64 KiB are not UTF-8 is read as
    Windows-1252 (what Excel saves on Windows). Undecodable bytes never raise: the row they are in is rejected by
    line. The delimiter is detected from the header unless given. `dialect`, when passed, is filled in. Which
    columns a file needs is the caller's rule.
    """
    stream, encoding = _sniff(stream, encoding)
    try:
        text = io.TextIOWrapper(stream, encoding=encoding, errors=BAD_BYTES, newline="")
    except LookupError:  # a codec that is not a text encoding, e.g. base64
        raise CsvFileError(f"unknown encoding {encoding!r}") from None
    tracker = _LineTracker(text)
    lines = iter(tracker)
    first = next(lines, "")
    delimiter = delimiter or detect_delimiter(first)
    if dialect is not None:
        dialect.encoding = codecs.lookup(encoding).name.removesuffix("-sig")
        dialect.delimiter = delimiter
    reader = csv.reader(itertools.chain([first] if first else [], lines), delimiter=delimiter)
    try:
        raw_header = next(reader)
    except StopIteration:
        raise CsvFileError("the file is empty") from None
    except csv.Error as exc:
        raise CsvFileError(f"line 1: the header is not valid CSV ({exc})") from None
    if any(_has_bad_bytes(h) for h in raw_header):
        raise CsvFileError(f"line 1: the header is not valid {encoding} text; pass --encoding (e.g. cp1252)")
    header = [mapping.get(norm_header(unescape_cell(h)), norm_header(unescape_cell(h))) for h in raw_header]

    def rows() -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
        tracker.take()  # the header's lines
        for line, values, error in _records(tracker, reader, 2, delimiter):
            if values is None:
                yield line, None, error
                continue
            if not "".join(values).strip():
                continue
            if _has_bad_bytes("".join(values)):
                yield line, None, f"not valid {encoding} text; save the file as UTF-8 or pass --encoding cp1252"
                continue
            if len(values) > len(header):
                yield line, None, f"has {len(values)} fields, the header has {len(header)}"
                continue
            # Cells Rapport's export (or a careful user) protected against formula injection get their value back.
            yield line, dict(zip(header, map(unescape_cell, values), strict=False)), None

    return header, rows()


_BAD_BYTES_RE = re.compile("[\udc00-\udcff]")
BAD_BYTES = "rapport.csv-bad-bytes"


def _bad_bytes(exc: UnicodeError) -> tuple[str, int]:
    """Like surrogateescape, for every byte (UTF-16 fails on bytes below 0x80 too, which surrogateescape refuses)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(BAD_BYTES, _bad_bytes)


def _has_bad_bytes(value: str) -> bool:
    # Undecodable bytes arrive as lone surrogates (no decoder makes one from valid text).
    return not value.isascii() and _BAD_BYTES_RE.search(value) is not None


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _sniff(stream: IO[bytes], encoding: str) -> tuple[IO[bytes], str]:
    """The stream rewound and the encoding to read it with: a byte-order mark wins over the one asked for."""
    try:
        name = codecs.lookup(encoding).name
        codecs.getincrementaldecoder(encoding)
    except (LookupError, ValueError, TypeError):
        raise CsvFileError(f"unknown encoding {encoding!r}") from None
    head = stream.read(4)
    if stream.seekable():
        stream.seek(stream.tell() - len(head))
    else:
        stream = io.BytesIO(head + stream.read())
    if head[:4] in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE):
        return stream, "utf-32"
    for bom, found in _BOMS:
        if head.startswith(bom):
            return stream, found
    if len(head) >= 2 and (name.startswith(("utf-16", "utf-8")) or name == "utf-8-sig"):
        # UTF-16 without a mark: ASCII headers put a NUL beside every character; UTF-8 text never holds NUL.
        if head[0] != 0 and head[1] == 0:
            return stream, "utf-16-le"
        if head[0] == 0 and head[1] != 0:
            return stream, "utf-16-be"
        if name == "utf-16":
            raise CsvFileError("the file is not UTF-16 (no byte-order mark); pass the encoding it was saved in")
    if name in ("utf-8", "utf-8-sig") and not _looks_like_utf8(stream):
        return stream, "cp1252"
    return stream, encoding


SNIFF_BYTES = 64 * 1024


def _looks_like_utf8(stream: IO[bytes]) -> bool:
    """Whether the first 64 KiB decode as UTF-8 (a character cut at the end of the sample does not count)."""
    start = stream.tell()
    sample = stream.read(SNIFF_BYTES)
    stream.seek(start)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return False
    return True
