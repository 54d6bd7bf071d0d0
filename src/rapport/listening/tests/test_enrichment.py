"""Enrichment over posts: bounded queries per batch, only people with the purpose, re-reading existing posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.consent import services as consent
from rapport.consent.models import EnrichmentFact, Purpose
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.privacy import is_private
from rapport.listening.enrichment import enrich_posts, redetect
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db


def _people(workspace, n: int, *, consented: int):
    people = [
        create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": f"P{i}"}) for i in range(n)
    ]
    for p in people[:consented]:
        consent.record(p, Purpose.ENRICHMENT, granted=True, source="api")
    return people


def _posts(workspace, people, texts, *, days_ago: float = 0, kind: str = "post"):
    now = timezone.now()
    return Post.objects.bulk_create(
        Post(
            workspace=workspace,
            network="twitter",
            external_id=f"e-{kind}-{days_ago}-{i}",
            person=people[i % len(people)] if people else None,
            text=text,
            language="en",
            kind=kind,
            private=is_private(kind=kind, network="twitter"),  # as the pipeline's insert sets it
            created_at=now - timedelta(days=days_ago),
            ingested_at=now,
        )
        for i, text in enumerate(texts)
    )


def test_a_batch_reads_only_the_consented_and_its_queries_do_not_grow_with_it(workspace):
    people = _people(workspace, 6, consented=3)
    small = _posts(workspace, people, ["Getting married Saturday!", "wildlife photography at dawn"] * 3)
    with CaptureQueriesContext(connection) as few:
        enrich_posts(workspace_id=workspace.pk, post_ids=[p.pk for p in small])
    holders = set(EnrichmentFact.objects.values_list("person_id", flat=True))
    assert holders and holders <= {p.pk for p in people[:3]}
    more = _people(workspace, 60, consented=30)
    big = _posts(workspace, more, ["Just moved into our new house!", "training for a marathon"] * 60, days_ago=1)
    with CaptureQueriesContext(connection) as many:
        enrich_posts(workspace_id=workspace.pk, post_ids=[p.pk for p in big])
    assert len(many) <= len(few) + 2  # a fixed number of queries, not one per post or per person
    anonymous = _posts(workspace, [], ["Getting married Saturday!"] * 50, days_ago=2)
    with CaptureQueriesContext(connection) as none:
        enrich_posts(workspace_id=workspace.pk, post_ids=[p.pk for p in anonymous])
    assert len(none) == 1  # nobody behind the batch: one query, nothing stored


def test_private_messages_and_reposts_are_not_read(workspace):
    [p] = _people(workspace, 1, consented=1)
    dms = _posts(workspace, [p], ["Getting married Saturday!"], kind="direct_message")
    reposts = _posts(workspace, [p], ["Getting married Saturday!"], kind="repost", days_ago=1)
    enrich_posts(workspace_id=workspace.pk, post_ids=[x.pk for x in dms + reposts])
    assert not EnrichmentFact.objects.exists()


def test_redetect_reads_existing_posts_of_people_who_allowed_it_and_skips_expired_ones(workspace, capsys):
    yes, no = _people(workspace, 2, consented=1)
    _posts(workspace, [yes, no], ["I'm expecting a baby in June", "Getting married tomorrow"])
    _posts(workspace, [yes], ["Started my new job today"], days_ago=60)  # a life event long past: expired
    call_command("enrichment", "detect", "--workspace", workspace.slug)
    assert '"created": 1' in capsys.readouterr().out
    assert list(EnrichmentFact.objects.values_list("person_id", "value")) == [(yes.pk, "new_baby")]
    assert redetect(workspace_id=workspace.pk)["created"] == 0  # reading again changes nothing
