"""The airline CSV's rows to other airlines open nothing in this brand's inbox; history starts no SLA clock."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command

from rapport.care.intake import route_posts
from rapport.care.models import AppliedSLA, Conversation, Message
from rapport.care.tests.helpers import brand, ingest, post
from rapport.listening.models import Post
from rapport.listening.nlp import data
from rapport.pipeline.ingest import process_batch

pytestmark = pytest.mark.django_db

# Complaints that need an answer: to United, and the same kind of tweet to four other airlines.
TO_UNITED = 4
OTHERS = ("@USAirways", "@SouthwestAir", "@AmericanAir", "@JetBlue")


def _rows(per_airline: int = 4) -> tuple[list[str], list[dict]]:
    if not data.tweets_path().exists():
        pytest.skip(f"{data.tweets_path()} not found (set RAPPORT_DATA_DIR)")
    wanted = {"@united": TO_UNITED, **dict.fromkeys(OTHERS, per_airline)}
    picked: list[dict] = []
    with data.tweets_path().open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        for row in reader:
            first = row["text"].split()[0] if row["text"].split() else ""
            other_mentions = [w for w in row["text"].split()[1:] if w.startswith("@")]
            needs_answer = row["airline_sentiment"] == "negative" and "?" in row["text"] and not other_mentions
            if needs_answer and wanted.get(first, 0) > 0:
                wanted[first] -= 1
                picked.append(row)
    assert not any(wanted.values()), wanted
    return header, picked


def _write(tmp_path: Path, header: list[str], rows: list[dict], *, recent: bool) -> Path:
    path = tmp_path / "Tweets.csv"
    now = datetime.now(tz=UTC)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for i, row in enumerate(rows):
            if recent:  # the same tweets as if sent in the last hour
                row = {**row, "tweet_created": (now - timedelta(minutes=5 + i)).strftime("%Y-%m-%d %H:%M:%S %z")}
            writer.writerow(row)
    return path


def _ingest(path: Path, capsys, django_capture_on_commit_callbacks) -> tuple[dict, str]:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ingest", str(path), "--format", "airline-csv")
    out = capsys.readouterr()
    return json.loads(out.out.strip().splitlines()[-1]), out.err


def test_only_tweets_to_this_brand_open_conversations(workspace, tmp_path, capsys, django_capture_on_commit_callbacks):
    brand(workspace, handle="united")
    header, rows = _rows()
    summary, err = _ingest(_write(tmp_path, header, rows, recent=True), capsys, django_capture_on_commit_callbacks)
    assert summary["stored"] == len(rows) == TO_UNITED + 4 * len(OTHERS)
    assert summary["backfill"] == 0 and "backfill" not in err
    messages = list(Message.objects.filter(workspace=workspace).values_list("text", flat=True))
    assert len(messages) == TO_UNITED
    assert all(t.lower().startswith("@united") for t in messages)
    assert not any(t.startswith(OTHERS) for t in messages)


def test_history_is_stored_and_analysed_but_opens_nothing(
    workspace, tmp_path, capsys, django_capture_on_commit_callbacks
):
    brand(workspace, handle="united")
    header, rows = _rows(per_airline=1)
    summary, err = _ingest(_write(tmp_path, header, rows, recent=False), capsys, django_capture_on_commit_callbacks)
    assert summary["stored"] == len(rows) and summary["backfill"] == len(rows)
    assert f"backfill: {len(rows)} posts older than 14 days" in err and "no conversations opened" in err
    stored = Post.objects.filter(workspace=workspace)
    assert stored.count() == len(rows)
    assert not stored.filter(sentiment_label="").exists()  # analysed like any post
    assert Conversation.objects.count() == 0 and AppliedSLA.objects.count() == 0


def test_the_live_window_is_a_setting(workspace, settings, django_capture_on_commit_callbacks):
    brand(workspace, handle="acmeair")
    old = datetime.now(tz=UTC) - timedelta(days=3)
    settings.RAPPORT_CARE_LIVE_DAYS = 2
    ingest(
        workspace,
        [post("@acmeair where is my refund? nobody answers", handle="late_one", created_at=old)],
        django_capture_on_commit_callbacks,
    )
    assert Conversation.objects.count() == 0
    settings.RAPPORT_CARE_LIVE_DAYS = 7
    counts = route_posts(workspace=workspace, post_ids=list(Post.objects.values_list("pk", flat=True)))
    assert counts["opened"] == 1 and counts["backfill"] == 0


def test_a_mention_without_the_handle_counts_only_through_the_brands_channel(
    workspace, django_capture_on_commit_callbacks
):
    channel = brand(workspace, network="mastodon", handle="acmeair")
    ingest(
        workspace,
        [post("my bag never arrived, can someone help?", handle="from_file", network="mastodon", kind="mention")],
        django_capture_on_commit_callbacks,
    )
    assert Conversation.objects.count() == 0
    feed = post("my bag never arrived, can someone help?", handle="from_feed", network="mastodon", kind="mention")
    with django_capture_on_commit_callbacks(execute=True):
        process_batch(
            workspace_id=workspace.pk, posts=[feed], source=f"poll:mastodon:{channel.pk}", detect_spikes=False
        )
    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().identity.handle == "from_feed"
