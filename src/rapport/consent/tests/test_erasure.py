"""Erasure: a marker seeded into every table that can hold the person's data is found nowhere afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from rapport.care import services as care
from rapport.care.models import Conversation, CsatResponse, Message
from rapport.care.tests.helpers import brand, ingest, post, social_policy
from rapport.commerce import services as commerce
from rapport.commerce.models import CustomerValue, Membership, Order, PointsEntry, Programme, Voucher
from rapport.consent import requests, services
from rapport.consent.models import EnrichmentFact, FormAnswer, PrivacyRequest, Purpose, SignupForm
from rapport.contacts.models import Person
from rapport.contacts.services import create_person, log_touchpoint
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent, Role
from rapport.identity.services import merge_contacts
from rapport.influence.models import Score
from rapport.listening.models import Post
from rapport.pipeline import deadletters
from rapport.pipeline.models import DeadLetter
from rapport.segments.models import Segment, SegmentMember

pytestmark = pytest.mark.django_db

MARK = "zqxmarker"
ACTOR = Actor.system("test")


def text_columns() -> list[tuple[str, str]]:
    """Every text-like column of every table in the database."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for col in connection.introspection.get_table_description(cursor, table):
                try:
                    kind = connection.introspection.get_field_type(col.type_code, col)
                except KeyError:  # a type Django does not map (a tsvector, an untyped full-text column): scan it
                    kind = "TextField"
                if (
                    kind in ("CharField", "TextField", "JSONField", "SlugField", "EmailField", "URLField")
                    or connection.vendor == "sqlite"
                    and "char" in str(col.type_code).lower() + kind.lower()
                ):
                    out.append((table, col.name))
    return out


def find_marker() -> list[str]:
    """Tables and columns whose text contains the marker anywhere (case-insensitive)."""
    hits = []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in text_columns():
            cast = f"CAST({qn(column)} AS TEXT)"
            cursor.execute(f"SELECT COUNT(*) FROM {qn(table)} WHERE LOWER({cast}) LIKE %s", [f"%{MARK}%"])
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


@pytest.fixture
def marked(workspace, django_capture_on_commit_callbacks):
    """A person with the marker in every kind of personal data Rapport keeps, and a record merged into them."""
    brand(workspace)
    social_policy(workspace)
    person = create_person(
        workspace=workspace,
        actor=ACTOR,
        data={
            "first_name": f"Ann{MARK}",
            "last_name": f"Berg{MARK}",
            "email": f"ann.{MARK}@example.org",
            "phone": "+4520304050",
            "job_title": f"Pilot {MARK}",
            "street": f"{MARK} street 1",
            "city": f"City{MARK}",
            "customer_number": f"C-{MARK}",
            "external_id": f"ext-{MARK}",
            "tags": [f"tag{MARK}"],
        },
        identities=[{"network": "twitter", "handle": f"ann{MARK}", "external_id": f"twitter-ann{MARK}"}],
    )
    twin = create_person(
        workspace=workspace,
        actor=ACTOR,
        data={"first_name": "Ann", "last_name": "Berg", "email": f"old.{MARK}@example.org", "city": f"Old{MARK}"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        merge_contacts(workspace=workspace, keep=person, absorb=twin.pk, actor=ACTOR)
    log_touchpoint(
        workspace=workspace,
        actor=ACTOR,
        person=person,
        kind="call",
        channel="phone",
        occurred_at=timezone.now(),
        title=f"Called about {MARK}",
        body=f"Notes {MARK}",
    )
    ingest(
        workspace,
        [post(f"@acmeair where is my bag {MARK}", handle=f"ann{MARK}", author_id=f"twitter-ann{MARK}")],
        django_capture_on_commit_callbacks,
    )
    # Someone else's post that names her: it stays theirs, without her handle.
    ingest(
        workspace,
        [post(f"see you at the gate @ann{MARK}!", handle="stranger", author_id="twitter-stranger")],
        django_capture_on_commit_callbacks,
    )
    conversation = Conversation.objects.get(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        care.resolve(conversation=conversation, actor=ACTOR)
    care.record_csat(conversation=conversation, score=4, comment=f"fine {MARK}")
    services.record(
        person,
        Purpose.NEWSLETTER,
        granted=True,
        channel="email",
        source="form",
        evidence={"ip": "10.0.0.1", "user_agent": f"Browser {MARK}"},
    )
    services.set_flags(person, do_not_track=True)
    form = SignupForm.objects.create(
        workspace=workspace, slug="testers", name="Testers", wording="Join", consents=[{"purpose": "community"}]
    )
    FormAnswer.objects.create(workspace=workspace, person=person, form=form, answers={"industry": f"Mining {MARK}"})
    EnrichmentFact.objects.create(
        workspace=workspace,
        person=person,
        kind="interest",
        value=f"birds {MARK}",
        confidence=0.9,
        expires_at=timezone.now() + timezone.timedelta(days=30),
    )
    # Commerce: a loyalty card, an order found by the person's email (it earns points), and an order that came
    # before the email was known and still waits for review naming it.
    programme = Programme.objects.create(workspace=workspace, name="Club", currency="EUR")
    Membership.objects.create(workspace=workspace, programme=programme, person=person, card_number=f"CARD{MARK}")
    commerce.record_orders(
        workspace=workspace,
        orders=[
            commerce.OrderIn(
                order_id="o-1",
                source="shop",
                ordered_at=timezone.now(),
                email=f"ann.{MARK}@example.org",
                currency="EUR",
                lines=[commerce.LineIn(sku="LENS-1", name="Telephoto lens", amount=Decimal(400))],
            )
        ],
    )
    Order.objects.create(
        workspace=workspace,
        source="till",
        order_id="t-9",
        ordered_at=timezone.now(),
        customer_ref={"email": f"ANN.{MARK}@example.org"},
    )
    Voucher.objects.create(workspace=workspace, person=person, code="WELCOME-1", issued_at=timezone.now())
    # Influence: a score whose inputs and evidence name the person's account.
    Score.objects.create(
        workspace=workspace,
        subject=f"p{person.pk}",
        person=person,
        score=61,
        features={"account": f"twitter:ann{MARK}"},
        evidence={"top_posts": [f"where is my bag {MARK}"]},
        updated_at=timezone.now(),
    )
    segment = Segment.objects.create(workspace=workspace, name="Frequent flyers", definition={"all": []})
    SegmentMember.objects.create(workspace=workspace, segment=segment, person=person, entered_at=timezone.now())
    # A record the stream rejected that names the person's handle, and one that names nobody.
    deadletters.record(
        workspace_id=workspace.pk,
        source="webhook:generic",
        fmt="post",
        payload=f'{{"author": {{"handle": "ann{MARK}"}}, "text": 17}}',
        reason="text: not a string",
    )
    deadletters.record(
        workspace_id=workspace.pk, source="webhook:generic", fmt="post", payload='{"text": 18}', reason="text"
    )
    return Person.objects.get(pk=person.pk)


def test_the_marker_is_everywhere_before_and_nowhere_after_an_erasure(
    workspace, marked, api_factory, django_capture_on_commit_callbacks
):
    before = find_marker()
    for table in (
        "contacts_person",
        "contacts_touchpoint",
        "identity_socialidentity",
        "identity_merge",
        "listening_post",
        "care_message",
        "care_csatresponse",
        "consent_consentevent",
        "consent_formanswer",
        "consent_enrichmentfact",
        "core_auditevent",
        "commerce_order",
        "commerce_membership",
        "influence_score",
        "pipeline_deadletter",
    ):
        assert any(hit.startswith(table + ".") for hit in before), f"the fixture left no marker in {table}"
    conversations = Conversation.objects.filter(workspace=workspace).count()

    api = api_factory(workspace, Role.DPO)
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post(f"/contacts/{marked.pk}/erase")
    assert response.status_code == 202
    request_id = response.json()["request_id"]
    assert requests.run_erasure(request_id) is not None
    assert requests.run_erasure(request_id) is None  # claimed once: a second run does nothing

    assert find_marker() == []
    assert not Person.objects.filter(pk=marked.pk).exists()
    assert list(Post.objects.filter(workspace=workspace).values_list("text", flat=True)) == [
        "see you at the gate @[erased]!"
    ]
    # The care record stays for the reports, anonymously.
    assert Conversation.objects.filter(workspace=workspace).count() == conversations
    assert not Conversation.objects.filter(workspace=workspace, person__isnull=False).exists()
    assert set(Message.objects.filter(workspace=workspace, direction="inbound").values_list("text", flat=True)) == {
        "[erased]"
    }
    assert CsatResponse.objects.get().score == 4
    # The erasure itself is on record, without the erased data.
    req = PrivacyRequest.objects.get(pk=request_id)
    assert req.status == "done" and req.person_ref == marked.pk and req.subject_label == ""
    assert req.result["people"] == 2 and req.result["posts"] == 1
    assert AuditEvent.objects.filter(action="privacy.erased", object_id=str(request_id)).exists()
    # No list, search or export finds them.
    assert api.get(f"/contacts/{marked.pk}/export").status_code == 404
    listing = api.get("/contacts", q="Berg").json()
    assert listing["items"] == []
    # The books still add up: the orders stay, anonymised; what was the person's alone is gone.
    assert set(Order.objects.filter(workspace=workspace).values_list("order_id", "person_id")) == {
        ("o-1", None),
        ("t-9", None),
    }
    assert Order.objects.get(order_id="o-1").total == 400
    assert not PointsEntry.objects.exists() and not Membership.objects.exists() and not CustomerValue.objects.exists()
    assert Voucher.objects.get(code="WELCOME-1").person_id is None
    assert not Score.objects.exists() and not SegmentMember.objects.exists()
    assert list(DeadLetter.objects.values_list("payload", flat=True)) == ['{"text": 18}']
    assert req.result["orders_anonymised"] == 2 and req.result["dead_letters"] == 1


def test_erasure_needs_the_dpo_or_an_admin(workspace, marked, api_factory):
    for role in (Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER):
        assert api_factory(workspace, role).post(f"/contacts/{marked.pk}/erase").status_code == 403
    assert not PrivacyRequest.objects.exists()


def test_the_readable_export_shows_every_kind_of_data(workspace, marked, member_factory):
    from conftest import PASSWORD

    member = member_factory(workspace, Role.DPO)
    client = Client()
    assert client.login(email=member.user.email, password=PASSWORD)
    page = client.get(f"/privacy/people/{marked.pk}/export/")
    assert page.status_code == 200
    html = page.content.decode()
    for expected in (
        f"Called about {MARK}",
        f"where is my bag {MARK}",
        f"fine {MARK}",
        f"Mining {MARK}",
        f"ann{MARK}",
        "Telephoto lens",
        f"CARD{MARK}",
        "Frequent flyers",
        "text: not a string",
    ):
        assert expected in html
    assert AuditEvent.objects.filter(action="contact.exported", object_id=str(marked.pk)).exists()


def test_the_access_export_holds_purchases_loyalty_scores_segments_and_dead_letters(workspace, marked, api_factory):
    data = api_factory(workspace, Role.DPO).get(f"/contacts/{marked.pk}/export").json()
    (order,) = data["orders"]
    assert order["order_id"] == "o-1" and order["lines"][0]["name"] == "Telephoto lens"
    assert data["loyalty"]["memberships"][0]["card_number"] == f"CARD{MARK}"
    assert [p["points"] for p in data["loyalty"]["points"]] == [400]
    assert [v["code"] for v in data["loyalty"]["vouchers"]] == ["WELCOME-1"]
    assert data["value"][0]["orders"] == 1
    (score,) = data["influence"]["scores"]
    assert score["score"] == 61 and score["features"] == {"account": f"twitter:ann{MARK}"}
    assert data["segments"] == [{"segment": "Frequent flyers", "entered_at": data["segments"][0]["entered_at"]}]
    assert [d["reason"] for d in data["dead_letters"]] == ["text: not a string"]
    assert data["identity_claims"] == []
