"""The Influencers page and its CSV export: ranked, with components, trend, sentiment and customer; roles."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from rapport.commerce.models import CustomerValue
from rapport.contacts.models import Person
from rapport.core.models import Role
from rapport.identity.models import SocialIdentity
from rapport.influence import services
from rapport.influence.models import Score
from rapport.influence.tests.helpers import NOW, ingest, population

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(workspace, django_capture_on_commit_callbacks):
    ingest(workspace, population(), django_capture_on_commit_callbacks)
    person = Person.objects.create(workspace=workspace, first_name="Cleo", last_name="Customer")
    SocialIdentity.objects.filter(workspace=workspace, handle_key="a4").update(person=person)
    services.recompute(workspace.pk, now=NOW)
    CustomerValue.objects.create(workspace=workspace, person=person, orders=3, total_spend=Decimal("412.50"))
    return person


def test_page_lists_scores_with_reasons_and_links_customers(client, member_factory, workspace, scored):
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    r = client.get("/influencers/")
    assert r.status_code == 200
    html = r.content.decode()
    assert f"/contacts/{scored.pk}/" in html and "Cleo Customer" in html
    assert "Network position" in html and "Amplification" in html
    top = Score.objects.filter(workspace=workspace, topic=0, listed=True).order_by("-score", "-id").first()
    assert f"<strong>{top.score}</strong>" in html


def test_csv_export_has_every_listed_subject_in_rank_order(client, member_factory, workspace, scored):
    client.force_login(member_factory(workspace, Role.MARKETER).user)
    r = client.get("/influencers/", {"format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert len(rows) == Score.objects.filter(workspace=workspace, topic=0, listed=True).count()
    scores = [int(x["score"]) for x in rows]
    assert scores == sorted(scores, reverse=True)
    cleo = next(x for x in rows if x["name"] == "Cleo Customer")
    assert cleo["customer"] == "yes" and cleo["contact_id"] == str(scored.pk)
    assert cleo["lifetime_value"] == "412.50" and {x["lifetime_value"] for x in rows if x is not cleo} == {""}
    parts = ("reach", "engagement", "amplification", "network", "topical")
    assert all(sum(int(x[c]) for c in parts) == int(x["score"]) for x in rows)


def test_page_needs_sign_in(client):
    assert client.get("/influencers/").status_code == 302
