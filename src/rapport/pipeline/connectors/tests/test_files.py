"""File parsers on the real shared data and on crafted bad lines."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from rapport.pipeline.connectors.base import parse_iso
from rapport.pipeline.connectors.files import Rejection, detect_format, iter_records


def _split(items):
    posts = [i for i in items if not isinstance(i, Rejection)]
    rejects = [i for i in items if isinstance(i, Rejection)]
    return posts, rejects


def _csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_every_airline_row_parses(data_dir: Path) -> None:
    path = data_dir / "Tweets.csv"
    posts, rejects = _split(list(iter_records(path, "airline-csv")))
    assert rejects == []
    assert len(posts) == _csv_rows(path) == 14640
    first = posts[0]
    assert first["external_id"] == "570306133677760513"
    assert first["author"]["handle"] == "cairdin"
    # 11:35:52 at -0800 is 19:35:52 UTC.
    assert first["created_at"] == "2015-02-24T19:35:52Z"
    assert first["text"] == "@VirginAmerica What @dhepburn said."
    assert first["raw"]["airline_sentiment"] == "neutral"
    assert {p["network"] for p in posts} == {"twitter"}
    assert len({p["external_id"] for p in posts}) > 14000
    multiline = [p for p in posts if "\n" in p["text"]]
    assert multiline, "quoted multi-line tweets must stay one record"
    raw_entities = [p for p in posts if "&amp;" in p["raw"]["text"]]
    assert raw_entities, "the corpus escapes & as &amp;"
    assert all("&amp;" not in p["text"] and "&" in p["text"] for p in raw_entities)


def test_twcs_threads_and_kinds(data_dir: Path) -> None:
    path = data_dir / "twcs_sample_first5000.csv"
    posts, rejects = _split(list(iter_records(path, "twcs-csv")))
    assert rejects == []
    assert len(posts) == 5000
    by_id = {p["external_id"]: p for p in posts}
    first = by_id["1"]
    assert first["author"] == {"external_id": "sprintcare", "handle": "sprintcare", "name": None, "followers": None}
    assert first["in_reply_to"] == "3" and first["kind"] == "reply"
    assert first["created_at"] == "2017-10-31T22:10:47Z"
    assert by_id["8"]["kind"] == "mention" and by_id["8"]["in_reply_to"] is None
    assert by_id["8"]["author"]["handle"] is None  # anonymised customer id is not a handle
    # The one tweet with bare carriage returns in an unquoted field keeps its line breaks.
    assert by_id["3399"]["text"].startswith("@AskPayPal \n\nI just love")
    kinds = Counter(p["kind"] for p in posts)
    assert kinds["reply"] > kinds["mention"] > kinds["post"] > 0


def test_detect_format_on_real_files(data_dir: Path) -> None:
    assert detect_format(data_dir / "Tweets.csv") == "airline-csv"
    assert detect_format(data_dir / "twcs_sample_first5000.csv") == "twcs-csv"


def test_streaming_keeps_memory_flat(data_dir: Path) -> None:
    tracemalloc.start()
    count = sum(1 for _ in iter_records(data_dir / "Tweets.csv", "airline-csv"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 14640
    # The file is ~3.4 MB; holding all posts would take tens of MB.
    assert peak < 2_000_000


GOOD = {
    "network": "mastodon",
    "external_id": "1",
    "created_at": "2024-01-02T03:04:05+02:00",
    "text": "hi",
    "author": {"handle": "a@b.social"},
}


def _jsonl(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_jsonl_good_and_bad_lines(tmp_path: Path) -> None:
    def line(**changes):
        record = {**GOOD, **changes}
        return json.dumps({k: v for k, v in record.items() if v is not None}).encode()

    lines = [
        line(),
        b"",
        b'{"network": "x", broken',
        line(text=None),
        line(created_at="yesterday"),
        line(created_at="2024-01-02T03:04:05"),
        line(author={"name": "no ids"}),
        '{"network": "rss", "text": "caf\xe9"}'.encode("latin-1"),
        b"[1, 2]",
        line(external_id="2", kind="shout"),
        line(external_id="3", in_reply_to="1", author={"external_id": "42", "followers": 7}),
    ]
    items = list(iter_records(_jsonl(tmp_path, lines), "jsonl"))
    posts, rejects = _split(items)
    assert [p["external_id"] for p in posts] == ["1", "3"]
    assert posts[0]["created_at"] == "2024-01-02T01:04:05Z"
    assert posts[0]["author"] == {"external_id": None, "handle": "a@b.social", "name": None, "followers": None}
    assert posts[1]["kind"] == "reply" and posts[1]["author"]["followers"] == 7
    reasons = {r.line: r.reason.split(":")[0] for r in rejects}
    assert reasons == {
        3: "json",
        4: "text",
        5: "created_at",
        6: "created_at",
        7: "author.external_id",
        8: "encoding",
        9: "line",
        10: "kind",
    }
    assert rejects[0].raw.startswith('{"network": "x", broken')


def test_csv_bad_rows_do_not_stop_the_stream(tmp_path: Path) -> None:
    header = (
        b"tweet_id,airline_sentiment,airline_sentiment_confidence,negativereason,negativereason_confidence,"
        b"airline,airline_sentiment_gold,name,negativereason_gold,retweet_count,text,tweet_coord,tweet_created,"
        b"tweet_location,user_timezone"
    )

    def row(tweet_id=b"1", name=b"ann", text=b"hello", created=b"2015-02-24 11:35:52 -0800"):
        return b",".join(
            [tweet_id, b"neutral", b"1.0", b"", b"", b"United", b"", name, b"", b"0", text, b"", created, b"", b""]
        )

    lines = [
        header,
        row(),
        row(tweet_id=b"2", created=b"24/02/2015"),
        row(tweet_id=b"3", name=b""),
        b"4,too,few",
        row(tweet_id=b"5", text=b"caf\xe9 au lait"),
        row(tweet_id=b"6", text=b'"two\nlines"'),
        row(tweet_id=b"abc"),
    ]
    path = tmp_path / "tweets.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    posts, rejects = _split(list(iter_records(path, "airline-csv")))
    assert [p["external_id"] for p in posts] == ["1", "6"]
    assert posts[1]["text"] == "two\nlines"
    assert [(r.line, r.reason.split(":")[0]) for r in rejects] == [
        (3, "tweet_created"),
        (4, "name"),
        (5, "row"),
        (6, "encoding"),
        (9, "tweet_id"),
    ]
    assert rejects[2].raw == "4,too,few"


def test_wrong_header_is_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    items = list(iter_records(path, "twcs-csv"))
    assert len(items) == 1 and isinstance(items[0], Rejection) and items[0].reason.startswith("header")


def test_unknown_format_raises(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(ValueError):
        list(iter_records(path, "xml"))


def test_jsonl_round_trip_keeps_timestamps_utc(data_dir: Path, tmp_path: Path) -> None:
    # Posts parsed from CSV, written as JSON lines and read back, must come back identical.
    source = [p for p in iter_records(data_dir / "twcs_sample_first5000.csv", "twcs-csv")][:200]
    path = tmp_path / "roundtrip.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in source), encoding="utf-8")
    back = list(iter_records(path, "jsonl"))
    assert back == source
    assert all(parse_iso(p["created_at"]).utcoffset().total_seconds() == 0 for p in back)
