"""`rapport ingest` and `rapport deadletters`: exact counts, rejected lines named and dead-lettered, replay."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from rapport.listening.models import Post
from rapport.pipeline.models import DeadLetter
from rapport.pipeline.tests.factories import make_post

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[dict, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


@pytest.fixture
def jsonl(tmp_path):
    path = tmp_path / "posts.jsonl"
    lines = [json.dumps(make_post(i)) for i in range(1, 6)]
    lines.insert(2, '{"network": "twitter", "external_id": "x1", "text": "no time", "author": {"handle": "a"}}')
    lines.insert(4, "{not json")
    lines.append(json.dumps(make_post(1)))  # the same post again
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ingest_twice_stores_nothing_twice(workspace, jsonl):
    summary, err = run("ingest", str(jsonl), "--format", "jsonl", "--workspace", workspace.slug)
    assert summary == {"received": 8, "stored": 5, "duplicates": 1, "rejected": 2, "backfill": 6}
    assert "rejected line 3: created_at: missing" in err and "rejected line 5: json:" in err
    assert set(DeadLetter.objects.values_list("source", flat=True)) == {"file:posts.jsonl:3", "file:posts.jsonl:5"}
    summary, _ = run("ingest", str(jsonl), "--format", "jsonl")
    assert summary == {"received": 8, "stored": 0, "duplicates": 6, "rejected": 2, "backfill": 6}
    assert Post.objects.count() == 5


def test_ingest_real_airline_csv(workspace, tmp_path):
    from rapport.listening.nlp import data

    if not data.tweets_path().exists():
        pytest.skip("Tweets.csv not available")
    import csv

    head = tmp_path / "tweets.csv"
    with (
        data.tweets_path().open(encoding="utf-8", newline="") as src,
        head.open("w", encoding="utf-8", newline="") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        for _ in range(301):
            writer.writerow(next(reader))
    summary, _ = run("ingest", str(head), "--format", "airline-csv")
    assert summary["received"] == 300 and summary["rejected"] == 0
    assert summary["stored"] + summary["duplicates"] == 300
    assert Post.objects.filter(language="en").count() >= 0.9 * summary["stored"]


def test_deadletters_list_and_replay_after_a_fix(workspace, jsonl):
    run("ingest", str(jsonl), "--format", "jsonl")
    out = StringIO()
    call_command("deadletters", "list", stdout=out)
    assert "created_at: missing" in out.getvalue() and "2 dead letter(s)" in out.getvalue()
    letter = DeadLetter.objects.get(source="file:posts.jsonl:3")
    fixed = json.loads(letter.payload) | {"created_at": "2026-03-02T12:00:00Z"}
    letter.payload = json.dumps(fixed)
    letter.save()
    counts, _ = run("deadletters", "replay", "--id", str(letter.pk))
    assert counts == {"replayed": 1, "failed": 0, "stored": 1, "duplicates": 0}
    counts, _ = run("deadletters", "replay")
    assert counts["failed"] == 1 and counts["replayed"] == 0  # "{not json" is still broken
    assert DeadLetter.objects.get(source="file:posts.jsonl:5").status == "failed"
