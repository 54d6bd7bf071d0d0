"""Stream linking after a stored batch: only texts that can hold an identifier reach the matcher; those make claims,
and only a sender the network vouches for links by itself."""

from datetime import UTC, datetime

import pytest

from rapport.contacts.models import Person
from rapport.identity.models import IdentityClaim, SocialIdentity
from rapport.listening import authors
from rapport.listening.models import Post

pytestmark = pytest.mark.django_db


def _post(workspace, identity, text: str, n: int) -> Post:
    now = datetime.now(tz=UTC)
    return Post.objects.create(
        workspace=workspace,
        network="instagram",
        external_id=f"ig-post-{n}",
        author=identity,
        text=text,
        created_at=now,
        ingested_at=now,
    )


def test_only_texts_that_can_hold_an_identifier_are_matched_and_they_make_claims(workspace, monkeypatch):
    grethe = Person.objects.create(workspace=workspace, first_name="Margrethe", email="grethe.s@example.dk")
    texts = [
        "@acmeair where is my bag?",  # a handle, not an email: no lookup
        "no identifiers at all here",
        "Hi, my email is Grethe.S@Example.dk, please check my order",
        "my bag was due on the 3rd",  # a digit: looked at, holds nothing
    ]
    posts = []
    for i, text in enumerate(texts):
        identity = SocialIdentity.objects.create(
            workspace=workspace, network="instagram", external_id=f"ig-{i}", handle=f"someone{i}", display_name="G S"
        )
        posts.append(_post(workspace, identity, text, i))
    seen: list[str] = []
    real = authors.extract_identifiers

    def counting(text, **kwargs):
        seen.append(text)
        return real(text, **kwargs)

    monkeypatch.setattr(authors, "extract_identifiers", counting)
    linked = authors.link_posts(workspace=workspace, post_ids=[p.pk for p in posts])
    assert seen == [texts[2], texts[3]]
    assert linked == 0  # an address typed in a post is a claim, not proof
    assert SocialIdentity.objects.filter(person__isnull=True).count() == 4
    assert Post.objects.get(pk=posts[2].pk).person is None
    claim = IdentityClaim.objects.get()
    assert (claim.identity.external_id, claim.person, claim.how, claim.post_id) == (
        "ig-2",
        grethe,
        "email",
        posts[2].pk,
    )


def test_the_prefilter_keeps_every_kind_of_identifier():
    for text in ["mail me: a.b@c.io", "ring +45 20 12 34 56", "medlemsnummer: LC10442", "٠١٢٣٤٥٦٧٨٩"]:
        assert authors._MAY_IDENTIFY.search(text), text
    for text in ["@acmeair hello", "thanks!! great service", "where is my bag?", ""]:
        assert not authors._MAY_IDENTIFY.search(text), text
