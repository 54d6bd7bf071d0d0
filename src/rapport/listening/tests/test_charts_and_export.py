"""Charts people can read (a linear time axis with empty days, y-axis values, a legend with totals, the period) and
the mentions the filters select exported as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from rapport.core.models import Role
from rapport.listening.charts import fill, nice_ticks, volume_chart
from rapport.pipeline.tests.factories import make_post

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 11, 2, tzinfo=UTC)


def browser(member_factory, workspace, role=Role.ADMIN, email=None) -> Client:
    client = Client()
    client.force_login(member_factory(workspace, role, email=email).user)
    return client


@pytest.fixture
def posts(workspace):
    from rapport.pipeline.ingest import process_batch

    process_batch(
        workspace_id=workspace.pk,
        posts=[
            make_post(1, "acme lost my parcel, furious and nobody helps", at=DAY),
            make_post(2, "=HYPERLINK(\"http://evil.example\") acme is great, thanks", at=DAY + timedelta(days=1)),
            make_post(3, "acme again, the parcel arrived broken", at=DAY + timedelta(days=9)),
        ],
    )


def test_empty_days_are_drawn_and_the_axis_is_linear():
    series = [
        {"at": DAY, "total": 3, "negative": 2, "neutral": 1, "positive": 0},
        {"at": DAY + timedelta(days=9), "total": 1, "negative": 0, "neutral": 0, "positive": 1},
    ]
    filled = fill(series, start=DAY, end=DAY + timedelta(days=9, hours=5), bucket="day")
    assert [p["at"] for p in filled] == [DAY + timedelta(days=i) for i in range(10)]
    assert [p["total"] for p in filled] == [3, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    chart = volume_chart(filled, bucket="day")
    xs = [bar.x for bar in chart["bars"]]
    assert len({round(b - a, 2) for a, b in zip(xs, xs[1:], strict=False)}) == 1  # evenly spaced
    assert chart["legend"] == [("negative", "#c0392b", 2), ("neutral", "#9aa5b4", 1), ("positive", "#1e8449", 1)]
    assert [value for _, value in chart["y_axis"]] == [0, 1, 2, 3] and chart["total"] == 4


@pytest.mark.parametrize(("top", "ticks"), [(0, [0, 1]), (3, [0, 1, 2, 3]), (17, [0, 5, 10, 15, 20]),
                                            (960, [0, 250, 500, 750, 1000])])
def test_y_axis_values_are_round(top, ticks):
    assert nice_ticks(top) == ticks


def test_a_date_range_shows_that_period_with_its_totals(member_factory, workspace, posts):
    client = browser(member_factory, workspace)
    page = client.get("/mentions/", {"from": "2026-11-01", "to": "2026-11-30"}).content.decode()
    assert "1 Nov 2026 – 30 Nov 2026" in page and "<strong>3</strong> posts, per day" in page
    assert page.count('class="y-tick"') >= 2 and 'class="chart-legend"' in page
    narrow = client.get("/mentions/", {"from": "2026-11-02", "to": "2026-11-03"}, HTTP_HX_REQUEST="true")
    assert "<strong>2</strong> posts, per hour" in narrow.content.decode()
    odd = client.get("/mentions/", {"from": "2026-02-30"})
    assert odd.status_code == 200 and "from: not a date" in odd.content.decode()


def test_the_filtered_mentions_export_as_csv_with_formulas_neutralised(member_factory, workspace, posts):
    client = browser(member_factory, workspace, Role.MARKETER)
    page = client.get("/mentions/", {"sentiment": "negative"}).content.decode()
    assert 'href="/mentions/export.csv?sentiment=negative"' in page
    response = client.get("/mentions/export.csv", {"from": "2026-11-04", "to": "2026-11-30"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["text"] for r in rows] == ["acme again, the parcel arrived broken"]
    everything = b"".join(client.get("/mentions/export.csv").streaming_content).decode()
    assert "'=HYPERLINK" in everything and len(list(csv.DictReader(io.StringIO(everything)))) == 3
    agent = browser(member_factory, workspace, Role.AGENT, email="agent9@acme.example")
    assert agent.get("/mentions/export.csv").status_code == 403
    assert "export.csv" not in agent.get("/mentions/").content.decode()
