"""The demo's wedding and wildlife lens: consented story people show facts and suggestions, Mikkel shows nothing."""

import pytest

from rapport.consent.models import EnrichmentFact
from rapport.contacts.models import Person
from rapport.demo.enrichment import seed_enrichment
from rapport.demo.seed import seed_stories


@pytest.mark.django_db
def test_demo_enrichment_shows_the_story_with_consent_and_nothing_without(
    workspace, api, django_capture_on_commit_callbacks
):
    seed_stories(workspace=workspace)
    with django_capture_on_commit_callbacks(execute=True):
        said = seed_enrichment(workspace)
    assert "facts for Jonas and Amelia" in said
    jonas = Person.objects.get(workspace=workspace, external_id="story-wedding")
    amelia = Person.objects.get(workspace=workspace, external_id="story-wildlife")
    mikkel = Person.objects.get(workspace=workspace, first_name="Mikkel")
    got = api.get(f"/contacts/{jonas.pk}/enrichment").json()
    assert any(f["value"] == "wedding" and f["event_date"] for f in got["facts"])
    assert [s["name"] for s in got["suggestions"]] == ["Wedding while the camera is in repair"]
    theirs = api.get(f"/contacts/{amelia.pk}/enrichment").json()
    assert "Wildlife photographer asking about cameras" in [s["name"] for s in theirs["suggestions"]]
    assert not EnrichmentFact.objects.filter(person=mikkel).exists()
    assert api.get(f"/contacts/{mikkel.pk}/enrichment").json()["permitted"] is False
    assert seed_enrichment(workspace) == "enrichment: already seeded"
