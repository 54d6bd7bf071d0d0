"""Full-text search: PostgreSQL full text or SQLite FTS5 behind one function; public text only."""

import pytest
from django.test import Client

from rapport.community import moderation, search, services
from rapport.community.tests.helpers import category, member

pytestmark = pytest.mark.django_db


def _titles(workspace, text) -> list[str]:
    return [q.title for q in services.search(workspace, text)]


def test_the_database_full_text_is_used(workspace):
    from django.db import connection

    assert search.backend() == ("postgresql" if connection.vendor == "postgresql" else "fts5")


def test_words_are_stemmed_every_word_must_match_and_answers_count(workspace, other_workspace):
    cat = category(workspace)
    asker, helper = member(workspace, "asker"), member(workspace, "helper")
    q1 = services.ask(author=asker, category=cat, title="Battery drains overnight", body="It charges slowly too.")
    services.ask(author=asker, category=cat, title="Screen flickers after update", body="Only at night.")
    services.answer(question=q1, author=helper, body="Calibrate the router firmware first.")
    other = category(other_workspace)
    services.ask(author=member(other_workspace, "other"), category=other, title="Battery drains overnight", body="Same")

    assert _titles(workspace, "batteries") == ["Battery drains overnight"]  # stemmed
    assert _titles(workspace, "battery charging") == ["Battery drains overnight"]
    assert _titles(workspace, "battery screen") == []  # every word
    assert _titles(workspace, "firmware") == ["Battery drains overnight"]  # an answer's words find its question
    assert _titles(workspace, "") == [] and _titles(workspace, "  ,;  ") == []
    assert _titles(workspace, 'night"* -(update') == ["Screen flickers after update"]  # query syntax is just words
    assert _titles(workspace, "ni\x00ght") == []  # control characters separate words, never a server error


def test_the_title_ranks_above_a_mention_in_an_answer(workspace):
    cat = category(workspace)
    asker, helper = member(workspace, "asker"), member(workspace, "helper")
    mention = services.ask(author=asker, category=cat, title="Something about my phone", body="help")
    services.answer(question=mention, author=helper, body="Maybe the roaming setting.")
    services.ask(author=asker, category=cat, title="Roaming costs abroad", body="Roaming was expensive.")
    assert _titles(workspace, "roaming") == ["Roaming costs abroad", "Something about my phone"]


def test_held_hidden_and_deleted_posts_are_never_found(workspace, admin):
    cat = category(workspace)
    asker, helper = member(workspace, "asker"), member(workspace, "helper")
    q = services.ask(author=asker, category=cat, title="Fibre box blinks red", body="since Monday")
    a = services.answer(question=q, author=helper, body="Call the zebracorn hotline.")
    assert _titles(workspace, "zebracorn") == ["Fibre box blinks red"]
    moderation.moderate(post=a, action="hide", user=admin.user)
    assert _titles(workspace, "zebracorn") == []
    assert _titles(workspace, "fibre") == ["Fibre box blinks red"]
    moderation.moderate(post=a, action="approve", user=admin.user)
    assert _titles(workspace, "zebracorn") == ["Fibre box blinks red"]
    moderation.moderate(post=q, action="delete", user=admin.user)
    assert _titles(workspace, "fibre") == [] and _titles(workspace, "zebracorn") == []
    # A first post held for a moderator is not searchable either.
    category(workspace, "Held", "held", hold_first_posts=True)
    newbie = member(workspace, "newbie")
    held = services.ask(author=newbie, category=cat, title="Quokka question here", body="held text")
    assert held.hidden and _titles(workspace, "quokka") == []


def test_the_public_search_page(workspace):
    cat = category(workspace)
    asker = member(workspace, "asker")
    services.ask(author=asker, category=cat, title="Voicemail greeting lost", body="after the update")
    page = Client().get(f"/community/{workspace.slug}/search?q=voicemail")
    assert page.status_code == 200 and "Voicemail greeting lost" in page.content.decode()
    assert "asker@mail.example" not in page.content.decode()
    empty = Client().get(f"/community/{workspace.slug}/search?q=nothingmatches")
    assert "Nothing found" in empty.content.decode()


def test_an_erasure_takes_the_words_out_of_the_index_itself(workspace):
    from django.db import connection

    from rapport.community import subject as community_subject
    from rapport.consent.subject import Subject

    cat = category(workspace)
    asker, helper = member(workspace, "asker"), member(workspace, "helper")
    q = services.ask(author=asker, category=cat, title="Qwzmarker question title", body="qwzmarker body")
    services.answer(question=q, author=helper, body="An answer without it.")
    assert _titles(workspace, "qwzmarker") == ["Qwzmarker question title"]
    community_subject._erase(Subject(workspace_id=workspace.pk, person_ids=[asker.person_id]))
    assert _titles(workspace, "qwzmarker") == []

    def hits() -> int:
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute("SELECT count(*) FROM community_question WHERE search_vector::text LIKE '%%qwzmarker%%'")
                return cur.fetchone()[0]
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'community_question_fts%%'")
            found = 0
            for (table,) in cur.fetchall():
                cur.execute(f'PRAGMA table_info("{table}")')
                for col in [r[1] for r in cur.fetchall()]:
                    cur.execute(f'SELECT count(*) FROM "{table}" WHERE CAST("{col}" AS TEXT) LIKE %s', ["%qwzmarker%"])
                    found += cur.fetchone()[0]
            return found

    assert hits() == 0
