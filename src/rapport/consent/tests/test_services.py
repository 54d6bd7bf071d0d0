"""The may-we service: the derived state follows the ledger, bases decide defaults, switches and suppressions win."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.consent import services
from rapport.consent.models import ConsentEvent, ConsentState, Purpose
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.identity.merging import merge_contacts, undo_merge

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def make(workspace, name="Ida", email=""):
    return create_person(workspace=workspace, actor=ACTOR, data={"first_name": name, "email": email})


def test_consent_purposes_need_a_grant_and_legitimate_interest_runs_until_an_objection(workspace):
    p = make(workspace)
    assert not services.may_contact(p, Purpose.NEWSLETTER, "email")
    assert not services.may_process(p, Purpose.ENRICHMENT)
    assert services.may_process(p, Purpose.PROFILING)
    assert services.may_contact(p, Purpose.SURVEYS, "social_dm")
    services.record(p, Purpose.NEWSLETTER, granted=True, channel="email", source="api")
    services.object_to(p, Purpose.PROFILING, source="agent")
    assert services.may_contact(p, Purpose.NEWSLETTER, "email")
    assert not services.may_contact(p, Purpose.NEWSLETTER, "sms")  # a grant is per channel
    assert not services.may_process(p, Purpose.PROFILING)
    assert services.objectors(workspace.pk, Purpose.PROFILING) == {p.pk}


def test_an_objection_to_the_purpose_covers_every_channel(workspace):
    p = make(workspace)
    services.object_to(p, Purpose.SURVEYS, source="agent")
    assert not services.may_contact(p, Purpose.SURVEYS, "email")
    assert services.permitted(workspace.pk, [p.pk], Purpose.SURVEYS, "email") == set()


def test_an_imported_older_grant_does_not_override_a_newer_withdrawal(workspace):
    p = make(workspace)
    now = timezone.now()
    services.record(p, Purpose.OFFERS, granted=False, channel="email", source="api", occurred_at=now)
    services.record(
        p, Purpose.OFFERS, granted=True, channel="email", source="import", occurred_at=now - timedelta(days=400)
    )
    assert not services.may_contact(p, Purpose.OFFERS, "email")
    assert ConsentEvent.objects.filter(person=p).count() == 2  # append-only: both are proof
    state = ConsentState.objects.get(person=p, purpose=Purpose.OFFERS)
    assert state.granted is False and state.occurred_at == now


def test_do_not_contact_do_not_track_and_restriction_are_different_switches(workspace):
    p = make(workspace)
    services.record(p, Purpose.NEWSLETTER, granted=True, channel="email", source="api")
    services.record(p, Purpose.ENRICHMENT, granted=True, source="api")
    services.set_flags(p, do_not_track=True)
    assert services.may_contact(p, Purpose.NEWSLETTER, "email")
    assert not services.may_process(p, Purpose.ENRICHMENT)
    services.set_flags(p, do_not_track=False, do_not_contact=True)
    assert not services.may_contact(p, Purpose.NEWSLETTER, "email")
    assert services.may_contact(p, Purpose.SERVICE, "email")  # service messages still go
    assert services.may_process(p, Purpose.ENRICHMENT)
    services.set_flags(p, do_not_contact=False, restricted=True)
    assert not services.may_process(p, Purpose.ENRICHMENT) and not services.may_contact(p, Purpose.NEWSLETTER, "email")


def test_a_suppressed_address_is_not_sent_to_and_is_not_stored(workspace):
    p = make(workspace, email="Bounce@Example.org")
    services.record(p, Purpose.NEWSLETTER, granted=True, channel="email", source="api")
    row = services.suppress(workspace.pk, "email", "bounce@example.org ", reason="bounce", detail="550")
    assert "bounce" not in row.address_hash and len(row.address_hash) == 64
    assert not services.may_contact(p, Purpose.NEWSLETTER, "email")
    assert services.permitted(workspace.pk, [p.pk], Purpose.NEWSLETTER, "email") == set()
    assert services.current_word(p, Purpose.NEWSLETTER, "email") is True  # the consent itself is untouched


def test_a_merge_carries_the_newest_word_to_the_kept_person(workspace, django_capture_on_commit_callbacks):
    keep, absorb = make(workspace, "A"), make(workspace, "B")
    services.record(absorb, Purpose.NEWSLETTER, granted=True, channel="email", source="api")
    with django_capture_on_commit_callbacks(execute=True):
        merge = merge_contacts(workspace=workspace, keep=keep, absorb=absorb.pk, actor=ACTOR)
    assert services.may_contact(keep, Purpose.NEWSLETTER, "email")
    with django_capture_on_commit_callbacks(execute=True):
        undo_merge(workspace=workspace, merge=merge, actor=ACTOR)
    assert not services.may_contact(keep, Purpose.NEWSLETTER, "email")
    assert services.may_contact(absorb, Purpose.NEWSLETTER, "email")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans(), st.integers(0, 50)), max_size=12))
def test_permitted_agrees_with_may_contact_one_by_one(workspace_factory_ws, events):
    workspace, people = workspace_factory_ws
    ConsentEvent.objects.filter(workspace=workspace).delete()
    now = timezone.now()
    for who, granted, minutes in events:
        services.record(
            people[who],
            Purpose.NEWSLETTER,
            granted=granted,
            channel="email",
            source="api",
            occurred_at=now - timedelta(minutes=minutes),
        )
    expected = {p.pk for p in people if services.may_contact(p, Purpose.NEWSLETTER, "email")}
    assert services.permitted(workspace.pk, [p.pk for p in people], Purpose.NEWSLETTER, "email") == expected
    # and the derived state equals the newest event per person, recomputed from scratch
    for p in people:
        newest = ConsentEvent.objects.filter(person=p).order_by("-occurred_at", "-id").first()
        assert services.current_word(p, Purpose.NEWSLETTER, "email") == (newest.granted if newest else None)


@pytest.fixture
def workspace_factory_ws(workspace):
    return workspace, [make(workspace, f"P{i}") for i in range(4)]


def test_changed_since_sees_each_thing_that_decides_may_contact_in_one_query(workspace, django_assert_num_queries):
    """The sender's per-message check: a consent event, the person's switches or a suppression on the channel (an
    SMS suppression is kept under phone, and still counts), and nothing else."""
    ida = create_person(workspace=workspace, actor=ACTOR, data={"first_name": "Ida", "phone": "+4520123456"})
    other = make(workspace, "Ole")
    since = timezone.now()
    with django_assert_num_queries(1):
        assert not services.changed_since(ida, "sms", since)
    services.record(other, Purpose.NEWSLETTER, granted=True, channel="sms", source="api")
    assert not services.changed_since(ida, "sms", since)
    services.record(ida, Purpose.NEWSLETTER, granted=True, channel="sms", source="api")
    assert services.changed_since(ida, "sms", since)
    later = timezone.now()
    assert not services.changed_since(ida, "sms", later)
    services.set_flags(ida, do_not_contact=True)
    assert services.changed_since(ida, "sms", later)
    latest = timezone.now()
    services.suppress(workspace.pk, "email", "x@example.org", reason="bounce")
    assert not services.changed_since(ida, "sms", latest)
    services.suppress(workspace.pk, "sms", "+4511223344", reason="complaint")
    assert services.changed_since(ida, "sms", latest)


def test_a_suppressed_number_is_left_out_of_an_sms_audience(workspace):
    """SMS and phone share one suppression list (kept under phone): the audience check asked for rows under "sms",
    found none, and let a number that complained into every SMS chunk."""
    ida = create_person(workspace=workspace, actor=ACTOR, data={"first_name": "Ida", "phone": "+4520123456"})
    services.record(ida, Purpose.NEWSLETTER, granted=True, channel="sms", source="api")
    assert services.permitted(workspace.pk, [ida.pk], Purpose.NEWSLETTER, "sms") == {ida.pk}
    services.suppress(workspace.pk, "sms", "+45 20 12 34 56", reason="complaint")
    assert services.permitted(workspace.pk, [ida.pk], Purpose.NEWSLETTER, "sms") == set()
    assert not services.may_contact(ida, Purpose.NEWSLETTER, "sms")


def test_the_contact_grid_of_one_person_agrees_with_permitted_in_three_queries(workspace, django_assert_num_queries):
    """The preference centre asks every purpose on every channel: one read of each table, not three per cell."""
    from rapport.consent.collection import PREFERENCE_CHANNELS, PREFERENCE_PURPOSES

    ida = create_person(
        workspace=workspace, actor=ACTOR, data={"first_name": "Ida", "email": "ida@example.org", "phone": "+4520123456"}
    )
    services.record(ida, Purpose.NEWSLETTER, granted=True, channel="email", source="api")
    services.record(ida, Purpose.NEWSLETTER, granted=True, channel="sms", source="api")
    services.record(ida, Purpose.OFFERS, granted=True, channel="post", source="api")
    services.record(ida, Purpose.SURVEYS, granted=False, source="api")  # an objection to the purpose as a whole
    services.suppress(workspace.pk, "phone", "+4520123456", reason="complaint")  # stops SMS too
    with django_assert_num_queries(3):
        grid = services.contact_answers(ida, PREFERENCE_PURPOSES, PREFERENCE_CHANNELS)
    expected = {
        (p, c): ida.pk in services.permitted(workspace.pk, [ida.pk], p, c)
        for p in PREFERENCE_PURPOSES
        for c in PREFERENCE_CHANNELS
    }
    assert grid == expected
    assert grid[(Purpose.NEWSLETTER, "email")] and grid[(Purpose.OFFERS, "post")]
    assert not grid[(Purpose.NEWSLETTER, "sms")] and not any(grid[(Purpose.SURVEYS, c)] for c in PREFERENCE_CHANNELS)
    services.set_flags(ida, do_not_contact=True)
    assert not any(services.contact_answers(ida, PREFERENCE_PURPOSES, PREFERENCE_CHANNELS).values())
    with pytest.raises(ValueError):
        services.may_contact(ida, Purpose.NEWSLETTER, "")
