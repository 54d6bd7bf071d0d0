"""The demo seed and the settings' refusal of default secrets."""

import os
import subprocess
import sys

import pytest

from rapport.contacts.models import Organization, Person, Touchpoint
from rapport.demo.seed import seed_bulk, seed_stories
from rapport.demo.stories import STORIES
from rapport.identity.models import SocialIdentity


@pytest.mark.django_db
def test_demo_seed_has_every_story_person_and_is_idempotent(workspace):
    assert seed_stories(workspace=workspace) == len(STORIES)
    assert seed_stories(workspace=workspace) == 0
    counts = seed_bulk(workspace=workspace, people=120, organisations=15, touchpoints=900)
    assert counts == {"organisations": 15 + 7, "people": 120, "touchpoints": 900}
    again = seed_bulk(workspace=workspace, people=120, organisations=15, touchpoints=900)
    assert again == {"organisations": 0, "people": 0, "touchpoints": 0}
    assert Person.objects.filter(workspace=workspace).count() == 120 + len(STORIES)
    assert Organization.objects.filter(workspace=workspace, kind="company").count() >= 15
    dave = Person.objects.get(first_name="Dave", last_name="Carroll")
    assert SocialIdentity.objects.get(person=dave).handle == "DaveCarrollMusic"
    assert Touchpoint.objects.filter(person=dave, kind="call", channel="phone").exists()
    kohl = SocialIdentity.objects.get(handle="kohlmark").person
    assert kohl.affiliations.get().organization.name == "A1 Community"
    assert Touchpoint.objects.filter(workspace=workspace, source="demo-bulk").values("kind").distinct().count() >= 8


def _settings_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='rapport.settings'; django.setup(); print('ok')"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DATABASE_URL", "PYTEST"))}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True)


def test_server_database_without_secret_key_is_refused(tmp_path):
    p = _settings_in_subprocess({"RAPPORT_HOME": str(tmp_path), "DATABASE_URL": "postgres://u@127.0.0.1:1/x"})
    assert p.returncode != 0 and "RAPPORT_SECRET_KEY must be set" in p.stderr


@pytest.mark.parametrize("key", ["changeme", "short-key"])
def test_weak_secret_keys_are_refused(tmp_path, key):
    p = _settings_in_subprocess({"RAPPORT_HOME": str(tmp_path), "RAPPORT_SECRET_KEY": key})
    assert p.returncode != 0 and "too weak" in p.stderr


def test_embedded_install_generates_a_private_key_once(tmp_path):
    assert _settings_in_subprocess({"RAPPORT_HOME": str(tmp_path)}).stdout.strip() == "ok"
    key_file = tmp_path / "secret.key"
    first = key_file.read_text()
    assert len(first) >= 50 and (key_file.stat().st_mode & 0o777) == 0o600
    _settings_in_subprocess({"RAPPORT_HOME": str(tmp_path)})
    assert key_file.read_text() == first


@pytest.mark.django_db
def test_demo_duplicates_wait_for_review_and_are_queued_once(workspace):
    from rapport.demo.duplicates import queue_likely_duplicates, seed_duplicates
    from rapport.identity.models import ReviewItem

    seed_stories(workspace=workspace)
    assert seed_duplicates(workspace=workspace) == 6
    assert seed_duplicates(workspace=workspace) == 0
    found, queued = queue_likely_duplicates(workspace=workspace)
    assert found >= 4 and queued >= 2
    senator = Person.objects.get(external_id="story-senator")
    pair = ReviewItem.objects.get(workspace=workspace, left=senator)
    assert pair.right.first_name == "Maggie" and pair.explanation["fields"]
    assert queue_likely_duplicates(workspace=workspace)[1] == 0
