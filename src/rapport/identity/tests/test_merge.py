"""Merging and un-merging people: what moves, what fills, what is refused, and that nothing is lost."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from rapport.contacts.models import Affiliation, Organization, Person, Touchpoint
from rapport.contacts.services import create_person, log_touchpoint
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent
from rapport.core.services import get_or_create_workspace
from rapport.identity.merging import (
    AlreadyMergedError,
    CrossWorkspaceError,
    MergeError,
    SelfMergeError,
    UndoError,
    merge_contacts,
    undo_merge,
)
from rapport.identity.models import Merge, SocialIdentity

ACTOR = Actor.system("test")


def person(workspace, **data):
    identities = data.pop("identities", None)
    organisations = data.pop("organisations", None)
    return create_person(
        workspace=workspace, actor=ACTOR, data=data, identities=identities, organisations=organisations
    )


def touch(workspace, p, title, minutes=0):
    return log_touchpoint(
        workspace=workspace,
        actor=ACTOR,
        person=p,
        kind="note",
        channel="other",
        occurred_at=timezone.now() - timedelta(minutes=minutes),
        title=title,
    )


@pytest.fixture
def pair(db, workspace):
    kept = person(
        workspace,
        first_name="Margrethe",
        last_name="Sørensen",
        email="grethe@example.dk",
        tags=["vip"],
        identities=[{"network": "twitter", "handle": "grethe"}],
        organisations=[{"name": "Rotary Odense", "role": "member"}],
    )
    absorbed = person(
        workspace,
        first_name="Grethe",
        last_name="Sorensen",
        phone="+4520123456",
        city="Odense",
        postcode="5000",
        date_of_birth="1970-04-16",
        tags=["golf"],
        identities=[{"network": "instagram", "handle": "grethe.s"}],
        organisations=[{"name": "Rotary Odense", "role": "member"}, {"name": "Novo Nordisk", "role": "chemist"}],
    )
    touch(workspace, kept, "kept note")
    touch(workspace, absorbed, "absorbed note 1")
    touch(workspace, absorbed, "absorbed note 2")
    return kept, absorbed


@pytest.mark.django_db
def test_merge_moves_history_fills_empty_fields_and_keeps_the_absorbed_record(workspace, pair):
    kept, absorbed = pair
    merge = merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    kept.refresh_from_db()
    absorbed.refresh_from_db()
    assert absorbed.merged_into_id == kept.pk and Person.objects.filter(pk=absorbed.pk).exists()
    assert sorted(Touchpoint.objects.filter(person=kept).values_list("title", flat=True)) == [
        "absorbed note 1",
        "absorbed note 2",
        "kept note",
    ]
    assert set(SocialIdentity.objects.filter(person=kept).values_list("handle", flat=True)) == {"grethe", "grethe.s"}
    # The clashing Rotary membership stays with the absorbed record; Novo Nordisk moves.
    assert sorted(Affiliation.objects.filter(person=kept).values_list("organization__name", flat=True)) == [
        "Novo Nordisk",
        "Rotary Odense",
    ]
    assert Affiliation.objects.filter(person=absorbed).count() == 1
    # Empty fields filled, existing ones kept.
    assert (kept.first_name, kept.email, kept.phone, kept.city, str(kept.date_of_birth)) == (
        "Margrethe",
        "grethe@example.dk",
        "+4520123456",
        "Odense",
        "1970-04-16",
    )
    assert kept.tags == ["vip", "golf"]
    assert {f["field"] for f in merge.filled_fields} >= {"phone", "city", "postcode", "date_of_birth", "tags"}
    assert "golf" in kept.search_text and "grethe.s" in kept.search_text
    assert len(merge.moved["touchpoints"]) == 2 and len(merge.moved["identities"]) == 1
    actions = set(AuditEvent.objects.filter(object_type="person").values_list("action", "object_id"))
    assert ("contact.merged", str(kept.pk)) in actions and ("contact.merged_away", str(absorbed.pk)) in actions
    event = AuditEvent.objects.get(action="contact.merged")
    assert "Grethe Sorensen" in event.after["absorbed"] and "2 touchpoints" in event.after["absorbed"]
    assert ("phone", "", "+4520123456") in event.changes and ("email", None, None) not in event.changes


@pytest.mark.django_db
def test_undo_restores_exactly_what_belonged_to_whom(workspace, pair):
    kept, absorbed = pair
    before_kept = set(Touchpoint.objects.filter(person=kept).values_list("pk", flat=True))
    before_absorbed = set(Touchpoint.objects.filter(person=absorbed).values_list("pk", flat=True))
    before_aff = set(Affiliation.objects.filter(person=absorbed).values_list("pk", flat=True))
    merge = merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    later = touch(workspace, kept, "arrived after the merge")
    undo_merge(merge=merge, actor=ACTOR)
    kept.refresh_from_db()
    absorbed.refresh_from_db()
    assert absorbed.merged_into_id is None
    assert set(Touchpoint.objects.filter(person=absorbed).values_list("pk", flat=True)) == before_absorbed
    assert set(Touchpoint.objects.filter(person=kept).values_list("pk", flat=True)) == before_kept | {later.pk}
    assert set(Affiliation.objects.filter(person=absorbed).values_list("pk", flat=True)) == before_aff
    assert list(SocialIdentity.objects.filter(person=absorbed).values_list("handle", flat=True)) == ["grethe.s"]
    assert (kept.phone, kept.city, kept.postcode, kept.date_of_birth, kept.tags) == ("", "", "", None, ["vip"])
    merge.refresh_from_db()
    assert merge.undone_at is not None
    with pytest.raises(UndoError):
        undo_merge(merge=merge, actor=ACTOR)


@pytest.mark.django_db
def test_undo_keeps_edits_made_after_the_merge(workspace, pair):
    kept, absorbed = pair
    merge = merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    Person.objects.filter(pk=kept.pk).update(city="Aarhus")
    undo_merge(merge=merge, actor=ACTOR)
    kept.refresh_from_db()
    assert kept.city == "Aarhus" and kept.phone == ""


@pytest.mark.django_db
def test_bad_merges_are_refused_with_a_clear_error(workspace, other_workspace, pair):
    kept, absorbed = pair
    stranger = person(other_workspace, first_name="Other")
    with pytest.raises(SelfMergeError):
        merge_contacts(workspace=workspace, keep=kept, absorb=kept, actor=ACTOR)
    with pytest.raises(CrossWorkspaceError, match="not in this workspace"):
        merge_contacts(workspace=workspace, keep=kept, absorb=stranger, actor=ACTOR)
    with pytest.raises(MergeError, match="not in this workspace"):
        merge_contacts(workspace=workspace, keep=kept, absorb=10**9, actor=ACTOR)
    merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    with pytest.raises(AlreadyMergedError):
        merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    with pytest.raises(AlreadyMergedError):
        merge_contacts(workspace=workspace, keep=absorbed, absorb=kept, actor=ACTOR)
    assert Merge.objects.count() == 1 and Person.objects.filter(workspace=workspace).count() == 2
    assert all(issubclass(e, ValueError) for e in (SelfMergeError, CrossWorkspaceError, AlreadyMergedError))


@pytest.mark.django_db
def test_a_chain_of_merges_must_be_undone_from_the_top(workspace, pair):
    kept, absorbed = pair
    third = person(workspace, first_name="Third")
    first = merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    second = merge_contacts(workspace=workspace, keep=third, absorb=kept, actor=ACTOR)
    with pytest.raises(UndoError, match="undo that merge first"):
        undo_merge(merge=first, actor=ACTOR)
    undo_merge(merge=second, actor=ACTOR)
    undo_merge(merge=first, actor=ACTOR)
    assert Touchpoint.objects.filter(person=absorbed).count() == 2
    assert Touchpoint.objects.filter(person=kept).count() == 1
    assert not Touchpoint.objects.filter(person=third).exists()


def _concurrently(*calls):
    """Run the calls in threads at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def runner(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # the loser's error is part of the result
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="in-memory SQLite test databases do not share writes")
def test_concurrent_merges_of_the_same_pair_cannot_corrupt_them():
    ws = get_or_create_workspace(slug="race")[0]
    a = person(ws, first_name="Ann", last_name="Race", email="ann@example.com")
    b = person(ws, first_name="Anne", last_name="Race", phone="+441134960000")
    for i in range(5):
        touch(ws, a, f"a{i}")
        touch(ws, b, f"b{i}")
    results = _concurrently(
        lambda: merge_contacts(workspace=ws, keep=a.pk, absorb=b.pk, actor=ACTOR),
        lambda: merge_contacts(workspace=ws, keep=b.pk, absorb=a.pk, actor=ACTOR),
    )
    wins = [r for r in results if isinstance(r, Merge)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1 and len(losses) == 1 and isinstance(losses[0], AlreadyMergedError), results
    merge = wins[0]
    survivor, absorbed = Person.objects.get(pk=merge.kept_id), Person.objects.get(pk=merge.absorbed_id)
    assert survivor.merged_into_id is None and absorbed.merged_into_id == survivor.pk
    assert Touchpoint.objects.filter(person=survivor).count() == 10
    assert Merge.objects.filter(workspace=ws).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_merges_into_one_person_serialise():
    ws = get_or_create_workspace(slug="race2")[0]
    kept = person(ws, first_name="Kim")
    others = [person(ws, first_name=f"K{i}") for i in range(2)]
    for o in others:
        touch(ws, o, "note")
    if connection.vendor == "sqlite":
        # SQLite takes the write lock per transaction (IMMEDIATE): run them one after the other.
        results = [merge_contacts(workspace=ws, keep=kept.pk, absorb=o.pk, actor=ACTOR) for o in others]
    else:
        results = _concurrently(
            *[lambda o=o: merge_contacts(workspace=ws, keep=kept.pk, absorb=o.pk, actor=ACTOR) for o in others]
        )
    assert all(isinstance(r, Merge) for r in results), results
    assert Touchpoint.objects.filter(person=kept).count() == 2
    assert set(Person.objects.filter(merged_into=kept).values_list("pk", flat=True)) == {o.pk for o in others}


@pytest.mark.django_db
def test_merge_never_deletes_rows(workspace, pair):
    kept, absorbed = pair
    counts = {m: m.objects.count() for m in (Person, Touchpoint, Affiliation, SocialIdentity, Organization)}
    merge = merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    assert {m: m.objects.count() for m in counts} == counts
    undo_merge(merge=merge, actor=ACTOR)
    assert {m: m.objects.count() for m in counts} == counts


@pytest.mark.django_db
def test_undo_leaves_a_row_that_would_clash_with_one_added_since(workspace, pair):
    kept, absorbed = pair
    merge = merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    novo = Organization.objects.get(name="Novo Nordisk")
    Affiliation.objects.create(workspace=workspace, person=absorbed, organization=novo, role="chemist")
    undo_merge(merge=merge, actor=ACTOR)
    assert Affiliation.objects.filter(organization=novo, role="chemist").count() == 2
    assert Affiliation.objects.filter(person=kept, organization=novo).count() == 1


@pytest.mark.django_db
def test_conversations_move_but_a_person_keeps_one_open_conversation(workspace, pair):
    conversation = pytest.importorskip("rapport.care.models").Conversation
    kept, absorbed = pair
    kept_open = conversation.objects.create(workspace=workspace, person=kept, status="open")
    their_open = conversation.objects.create(workspace=workspace, person=absorbed, status="pending")
    their_done = conversation.objects.create(workspace=workspace, person=absorbed, status="resolved")
    merge = merge_contacts(workspace=workspace, keep=kept, absorb=absorbed, actor=ACTOR)
    assert merge.moved["conversations"] == [their_done.pk]
    assert set(conversation.objects.filter(person=kept).values_list("pk", flat=True)) == {kept_open.pk, their_done.pk}
    assert conversation.objects.get(pk=their_open.pk).person_id == absorbed.pk
    undo_merge(merge=merge, actor=ACTOR)
    assert set(conversation.objects.filter(person=absorbed).values_list("pk", flat=True)) == {
        their_open.pk,
        their_done.pk,
    }
