"""The influencer page: components with their evidence and the score history drawn as an SVG line."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from rapport.consent.models import Purpose
from rapport.consent.services import object_to
from rapport.contacts.models import Person
from rapport.core.models import Role, Workspace
from rapport.identity.models import SocialIdentity
from rapport.influence import services
from rapport.influence.charts import history_chart
from rapport.influence.models import Score, ScoreSnapshot
from rapport.influence.tests.helpers import NOW, ingest, population

pytestmark = pytest.mark.django_db


def test_chart_is_linear_in_days_on_the_scales_range():
    d0 = date(2026, 3, 1)
    points = [
        {"day": d0, "score": 50},
        {"day": d0 + timedelta(days=3), "score": 60},
        {"day": d0 + timedelta(days=12), "score": 25},
    ]
    chart = history_chart(points, width=900, height=200)
    xs = [d["x"] for d in chart["dots"]]
    assert xs[0] < xs[1] < xs[2]
    assert abs((xs[1] - xs[0]) * 4 - (xs[2] - xs[0])) < 0.05  # 3 days is a quarter of 12
    assert [d["y"] for d in chart["dots"]] == [100.0, 80.0, 150.0]  # 0-100 whatever the scores
    assert chart["typical"] == 100.0 and [v for _, v in chart["y_axis"]] == [0, 25, 50, 75, 100]
    assert chart["line"].split(" ")[1] == f"{xs[1]},80.0"
    assert chart["dots"][2]["title"] == "2026-03-13: 25" and (chart["low"], chart["high"]) == (25, 60)
    assert history_chart([])["dots"] == []
    single = history_chart(points[:1])
    assert len(single["dots"]) == 1 and single["line"]


@pytest.fixture
def scored(workspace, django_capture_on_commit_callbacks):
    ingest(workspace, population(), django_capture_on_commit_callbacks)
    person = Person.objects.create(workspace=workspace, first_name="Hist", last_name="Ory")
    SocialIdentity.objects.filter(workspace=workspace, handle_key="a2").update(person=person)
    services.recompute(workspace.pk, now=NOW)
    today = timezone.now().date()
    for back, value in ((20, 41), (9, 47), (2, 55)):
        ScoreSnapshot.objects.create(
            workspace=workspace, subject=f"p{person.pk}", person=person, day=today - timedelta(days=back), score=value
        )
    return person


def test_person_page_shows_components_and_the_history_line(client, member_factory, workspace, scored):
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    r = client.get(f"/influencers/person/{scored.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    row = Score.objects.get(workspace=workspace, subject=f"p{scored.pk}", topic=0)
    assert f'class="influence-score">{row.score}</strong>' in html
    assert "Network position" in html and "Why" in html
    kept = ScoreSnapshot.objects.filter(subject=f"p{scored.pk}", day__gte=timezone.now().date() - timedelta(days=365))
    assert kept.count() >= 3  # the three above, and the recompute's own day when it falls within the year
    assert "<polyline" in html and html.count("<circle") == kept.count()
    today = timezone.now().date()
    assert f"<title>{today - timedelta(days=20):%Y-%m-%d}: 41</title>" in html
    assert f"/contacts/{scored.pk}/" in html
    listing = client.get("/influencers/").content.decode()
    assert f'href="/influencers/person/{scored.pk}/"' in listing


def test_account_page_for_an_unlinked_author(client, member_factory, workspace, scored):
    client.force_login(member_factory(workspace, Role.AGENT).user)
    ident = SocialIdentity.objects.get(workspace=workspace, handle_key="a5")
    r = client.get(f"/influencers/account/{ident.pk}/")
    assert r.status_code == 200 and "a5" in r.content.decode()
    assert "<polyline" in r.content.decode()  # today's snapshot from the recompute


def test_no_page_for_objectors_or_other_workspaces(client, member_factory, workspace, scored):
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    other = Workspace.objects.create(slug="else", name="Else")
    stranger = Person.objects.create(workspace=other, first_name="S", last_name="T")
    assert client.get(f"/influencers/person/{stranger.pk}/").status_code == 404
    object_to(scored, Purpose.PROFILING, source="form")
    assert client.get(f"/influencers/person/{scored.pk}/").status_code == 404
    ident = SocialIdentity.objects.get(workspace=workspace, handle_key="a2")
    assert client.get(f"/influencers/account/{ident.pk}/").status_code == 404


def test_history_chart_is_drawn_unlocalized_in_danish(client, member_factory, workspace, scored):
    """A Danish decimal comma inside an SVG coordinate would break the line: the chart's numbers stay dotted."""
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    html = client.get(f"/influencers/person/{scored.pk}/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert re.search(r'c[xy]="\d+\.\d+"', svg), "the dots sit at fractional positions"
    numbers = re.sub(r'points="[^"]*"', "", svg)  # a polyline's points are pairs joined by commas by design
    assert not re.search(r'="-?\d+,\d', numbers), "a decimal comma in an SVG attribute"


def test_the_contact_page_has_an_influence_panel_with_the_last_90_days(client, member_factory, workspace, scored):
    client.force_login(member_factory(workspace, Role.AGENT).user)
    page = client.get(f"/contacts/{scored.pk}/").content.decode()
    assert f'hx-get="/contacts/{scored.pk}/influence/"' in page
    panel = client.get(f"/contacts/{scored.pk}/influence/").content.decode()
    row = Score.objects.get(workspace=workspace, subject=f"p{scored.pk}", topic=0)
    assert f'class="influence-score">{row.score}</strong>' in panel
    assert panel.count("<dt>") == 3  # the three largest components
    kept = ScoreSnapshot.objects.filter(subject=f"p{scored.pk}", day__gte=timezone.now().date() - timedelta(days=90))
    assert panel.count("<circle") == kept.count() >= 3
    assert f'href="/influencers/person/{scored.pk}/"' in panel
    danish = client.get(f"/contacts/{scored.pk}/influence/", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    numbers = re.sub(r'points="[^"]*"', "", danish[danish.index("<svg") : danish.index("</svg>")])
    assert not re.search(r'="-?\d+,\d', numbers)


def test_the_panel_says_when_there_is_no_score_and_keeps_to_the_workspace(client, member_factory, workspace, scored):
    client.force_login(member_factory(workspace, Role.AGENT).user)
    newcomer = Person.objects.create(workspace=workspace, first_name="New", last_name="Comer")
    assert "No score yet" in client.get(f"/contacts/{newcomer.pk}/influence/").content.decode()
    object_to(scored, Purpose.PROFILING, source="form")
    objected = client.get(f"/contacts/{scored.pk}/influence/").content.decode()
    assert "objected to profiling" in objected and "influence-score" not in objected
    stranger = Person.objects.create(workspace=Workspace.objects.create(slug="else", name="Else"), first_name="S")
    assert client.get(f"/contacts/{stranger.pk}/influence/").status_code == 404
    client.logout()
    assert client.get(f"/contacts/{newcomer.pk}/influence/").status_code in (302, 403)
