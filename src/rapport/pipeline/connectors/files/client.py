"""Streaming readers for post files: JSON lines, the airline-sentiment CSV and the customer-support CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..base import PayloadError, Post
from .normalise import AIRLINE_COLUMNS, TWCS_COLUMNS, airline_row_to_post, jsonl_to_post, twcs_row_to_post

FORMATS = ("jsonl", "airline-csv", "twcs-csv")
_BARE_CR = "\ue000"  # private-use placeholder for a carriage return inside an unquoted CSV field
RAW_LIMIT = 2000  # characters of a rejected record kept for the report; bounds memory on runaway lines


@dataclass(frozen=True)
class Rejection:
    """A record that could not be parsed: where it starts, why (naming the field) and its raw text."""

    line: int
    reason: str
    raw: str


ParsedLine = Post | Rejection


def detect_format(path: str | Path) -> str:
    """Guess the format of a post file from its first non-blank line."""
    with open(path, "rb") as handle:
        for raw in handle:
            head = raw.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
            if not head:
                continue
            if head.startswith("{"):
                return "jsonl"
            columns = next(csv.reader([head]))
            if tuple(columns) == AIRLINE_COLUMNS:
                return "airline-csv"
            if tuple(columns[1:]) == TWCS_COLUMNS[1:]:
                return "twcs-csv"
            break
    raise PayloadError(f"cannot tell the format of {path}; expected one of {', '.join(FORMATS)}")


def iter_records(path: str | Path, fmt: str) -> Iterator[ParsedLine]:
    """Stream posts and rejections from a file, one record at a time, never stopping at a bad record."""
    if fmt == "auto":
        fmt = detect_format(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    with open(path, "rb") as handle:
        if fmt == "jsonl":
            yield from _iter_jsonl(handle)
        elif fmt == "airline-csv":
            yield from _iter_csv(handle, AIRLINE_COLUMNS, airline_row_to_post, skip_first_column=False)
        else:
            yield from _iter_csv(handle, TWCS_COLUMNS, twcs_row_to_post, skip_first_column=True)


def _iter_jsonl(handle: BinaryIO) -> Iterator[ParsedLine]:
    for number, raw in enumerate(handle, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"encoding: not valid UTF-8 at byte {exc.start}"
            yield Rejection(number, reason, _clip(raw.decode("utf-8", "replace")))
            continue
        if number == 1:
            text = text.lstrip("\ufeff")
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Rejection(number, f"json: {exc.msg} at column {exc.colno}", _clip(text))
            continue
        try:
            yield jsonl_to_post(record)
        except PayloadError as exc:
            yield Rejection(number, str(exc), _clip(text))


class _LineFeed:
    """Feeds decoded lines to csv.reader while remembering the raw text and any undecodable lines."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.line = 0
        self.buffer: list[str] = []
        self.bad_encoding: int | None = None

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        raw = next(self._handle)
        self.line += 1
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            if self.bad_encoding is None:
                self.bad_encoding = self.line
        if self.line == 1:
            text = text.lstrip("\ufeff")
        if sum(map(len, self.buffer)) < RAW_LIMIT:
            self.buffer.append(text)
        body = text.rstrip("\r\n")
        if "\r" in body:
            # Real exports hold bare carriage returns inside unquoted fields, which csv rejects; park them.
            text = body.replace("\r", _BARE_CR) + text[len(body) :]
        return text

    def take(self) -> str:
        """Return the raw text of the record just read and reset for the next one."""
        text = _clip("".join(self.buffer).rstrip("\r\n"))
        self.buffer.clear()
        self.bad_encoding = None
        return text


def _iter_csv(
    handle: BinaryIO,
    columns: tuple[str, ...],
    to_post: Callable[[dict[str, str]], Post],
    *,
    skip_first_column: bool,
) -> Iterator[ParsedLine]:
    feed = _LineFeed(handle)
    reader = csv.reader(feed)
    header = next(reader, None)
    feed.take()
    if header is None:
        return
    got = tuple(header[1:]) if skip_first_column else tuple(header)
    want = columns[1:] if skip_first_column else columns
    if got != want:
        yield Rejection(1, f"header: expected columns {', '.join(want)}", _clip(",".join(header)))
        return
    start = feed.line + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejection(start, f"csv: {exc}", feed.take())
            start = feed.line + 1
            continue
        row = [value.replace(_BARE_CR, "\n") for value in row]
        bad_line = feed.bad_encoding
        raw_text = feed.take()
        if row or bad_line is not None:
            yield _row_result(row, header, raw_text, start, bad_line, to_post)
        start = feed.line + 1


def _row_result(
    row: list[str],
    header: list[str],
    raw: str,
    start: int,
    bad_line: int | None,
    to_post: Callable[[dict[str, str]], Post],
) -> ParsedLine:
    if bad_line is not None:
        return Rejection(start, f"encoding: line {bad_line} is not valid UTF-8", raw)
    if len(row) != len(header):
        return Rejection(start, f"row: expected {len(header)} columns, got {len(row)}", raw)
    try:
        return to_post(dict(zip(header, row, strict=True)))
    except PayloadError as exc:
        return Rejection(start, str(exc), raw)


def _clip(text: str) -> str:
    return text if len(text) <= RAW_LIMIT else text[:RAW_LIMIT] + "…"
