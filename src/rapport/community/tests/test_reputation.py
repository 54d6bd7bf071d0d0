"""Members become people; asking, answering, helpful votes, accepting; the ledger's anti-gaming rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.community import services
from rapport.community.models import ReputationEntry
from rapport.community.tests.helpers import category, member
from rapport.contacts.models import Person
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors

pytestmark = pytest.mark.django_db


def test_a_new_member_becomes_a_person_and_a_known_customer_is_linked(workspace):
    known = create_person(
        workspace=workspace, actor=Actor.system(), data={"first_name": "Eva", "email": "eva@mail.example"}
    )
    eva = member(workspace, "eva_k", "Eva@Mail.example")
    assert eva.person_id == known.pk
    newbie = member(workspace, "newbie")
    assert newbie.person is not None and newbie.person.email == "newbie@mail.example"
    assert Person.objects.filter(workspace=workspace).count() == 2
    with pytest.raises(FieldErrors) as e:
        member(workspace, "NEWBIE", "other@mail.example")
    assert "handle" in e.value.errors
    with pytest.raises(FieldErrors) as e:
        services.join(workspace=workspace, handle="x", email="nope", password="short")
    assert set(e.value.errors) == {"handle", "email", "password"}


def test_authenticate_checks_the_password(workspace):
    m = member(workspace, "kohlmark")
    assert services.authenticate(workspace=workspace, email="KOHLMARK@mail.example", password="member-pass-2931") == m
    assert services.authenticate(workspace=workspace, email="kohlmark@mail.example", password="wrong-password") is None
    assert services.authenticate(workspace=workspace, email="nobody@mail.example", password="member-pass-2931") is None


def test_votes_and_acceptance_earn_points_without_self_votes_or_double_votes(workspace):
    cat = category(workspace)
    asker, expert, fan = member(workspace, "asker"), member(workspace, "kohlmark"), member(workspace, "fan")
    q = services.ask(author=asker, category=cat, title="Battery drains overnight", body="Since the update.")
    a = services.answer(question=q, author=expert, body="Turn off background refresh.")
    with pytest.raises(services.CommunityError):
        services.vote_helpful(answer=a, voter=expert)
    services.vote_helpful(answer=a, voter=fan)
    with pytest.raises(services.CommunityError):
        services.vote_helpful(answer=a, voter=fan)
    with pytest.raises(services.CommunityError):
        services.accept(answer=a, by_member=fan)  # only the asker accepts
    services.accept(answer=a, by_member=asker)
    with pytest.raises(services.CommunityError):
        services.accept(answer=a, by_member=asker)
    assert services.score(expert) == services.HELPFUL_POINTS + services.ACCEPTED_POINTS
    assert services.score(fan) == 0
    q.refresh_from_db()
    assert q.accepted_answer_id == a.pk


def test_the_daily_cap_limits_points_from_helpful_votes(workspace):
    cat = category(workspace)
    expert = member(workspace, "kohlmark")
    q = services.ask(author=expert, category=cat, title="A question of mine", body="body")
    a = services.answer(question=q, author=expert, body="An answer of mine")
    now = timezone.now().replace(hour=12)
    voters = [member(workspace, f"voter{i}") for i in range(services.DAILY_CAP // services.HELPFUL_POINTS + 3)]
    for v in voters:
        services.vote_helpful(answer=a, voter=v, now=now)
    assert services.score(expert) == services.DAILY_CAP
    late = member(workspace, "nextday")
    services.vote_helpful(answer=a, voter=late, now=now + timedelta(days=1))
    assert services.score(expert) == services.DAILY_CAP + services.HELPFUL_POINTS


def test_the_ledger_is_append_only(workspace):
    cat = category(workspace)
    asker, expert = member(workspace, "asker"), member(workspace, "kohlmark")
    q = services.ask(author=asker, category=cat, title="Battery drains overnight", body="Since the update.")
    services.accept(answer=services.answer(question=q, author=expert, body="Do this."), by_member=asker)
    line = ReputationEntry.objects.get()
    line.points = 1000
    with pytest.raises(ValueError):
        line.save()
    with pytest.raises(ValueError):
        line.delete()
    assert ReputationEntry.objects.get().points == services.ACCEPTED_POINTS


def test_bad_input_names_the_field(workspace):
    cat = category(workspace)
    with pytest.raises(FieldErrors) as e:
        services.ask(author=member(workspace, "asker"), category=cat, title="short", body="")
    assert set(e.value.errors) == {"title", "body"}


def test_anonymise_removes_names_handles_emails_phones_and_links_but_keeps_other_words():
    text = "Bo here (@boberg, bo.berg@mail.example, +43 660 1234567): my Bottle app http://x.example/a crashes. BO"
    out = services.anonymise(text, names=["Bo", "Berg", "boberg"])
    for gone in ("boberg", "bo.berg", "1234567", "http://", " BO", "Bo here"):
        assert gone not in out, gone
    assert "Bottle app" in out and "crashes" in out
