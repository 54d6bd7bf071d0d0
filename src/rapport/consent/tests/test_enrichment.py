"""Enrichment with permission: reading facts from text, storing them only with the purpose, the life-event event,
withdrawal, the next-best-action rules and their API, form answers, and the evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from rapport.consent import services
from rapport.consent.enrichment import actions
from rapport.consent.enrichment.detect import detect, detect_answers, keyword_baseline
from rapport.consent.models import ActionRule, EnrichmentFact, Purpose
from rapport.contacts.services import create_person
from rapport.core import events
from rapport.core.actors import Actor
from rapport.core.models import Role

WEDNESDAY = datetime(2026, 12, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "language", "value", "when"),
    [
        ("Getting married Saturday! So nervous", "en", "wedding", date(2026, 12, 5)),
        ("We got married Saturday, best day ever", "en", "wedding", date(2026, 11, 28)),
        ("Vi skal giftes på lørdag!", "da", "wedding", date(2026, 12, 5)),
        ("Vi gifter oss i morgen", "no", "wedding", date(2026, 12, 3)),
        ("Vi ska gifta oss om tre dagar", "sv", "wedding", date(2026, 12, 5)),
        ("Wir heiraten am Samstag", "de", "wedding", date(2026, 12, 5)),
        ("We gaan trouwen op 12 juni", "nl", "wedding", date(2027, 6, 12)),
        ("On se marie samedi", "fr", "wedding", date(2026, 12, 5)),
        ("Nos casamos el 12 de junio", "es", "wedding", date(2027, 6, 12)),
        ("Starting my new job Monday", "en", "new_job", date(2026, 12, 7)),
        ("Jag har fått ett nytt jobb", "sv", "new_job", None),
        ("We zijn net verhuisd naar Utrecht", "nl", "moving_house", None),
        ("Wir ziehen nächste Woche um", "de", "moving_house", date(2026, 12, 9)),
        ("Je suis enceinte de notre deuxième", "fr", "new_baby", None),
        ("Flying with my 3 month old tomorrow", "en", "new_baby", None),  # tomorrow is the flight, not the birth
    ],
)
def test_life_events_in_every_language_with_their_date(text, language, value, when):
    found = {d.value: d for d in detect(text, language=language, posted_at=WEDNESDAY)}
    assert value in found and found[value].kind == "life_event"
    assert found[value].event_date == when


@pytest.mark.parametrize(
    "text",
    [
        "My sister is getting married on Saturday",
        "Missing my friend's wedding because of this delay",
        "Thanks for ruining our wedding anniversary",
        "I'm not getting married, just visiting",
        "@united moved me to a later flight",
        "Great job @united, thanks",
        "I have a job interview tomorrow",
        "A baby screamed the whole flight",
        "running late for my flight",
        "they stole my camera from my bag",
    ],
)
def test_hard_negatives_state_nothing(text):
    assert detect(text, language="en", posted_at=WEDNESDAY) == []


def test_interests_and_the_keyword_baseline():
    found = {d.value: d for d in detect("Out at dawn for wildlife photography, new telephoto lens", language="en")}
    assert found["wildlife_photography"].confidence >= 0.85 and "photography" in found
    assert {d.value for d in detect("Ran the half marathon in 1:45", language="en")} == {"running"}
    assert {d.value for d in detect("Wanderung in den Alpen, dann Bundesliga", language="de")} == {"hiking", "football"}
    assert "running" in keyword_baseline("running late for my flight")  # what the baseline gets wrong


def test_form_answers_state_a_dated_wedding_and_interests():
    found = {
        d.value: d
        for d in detect_answers(
            {"wedding_date": "2026-12-19", "hobbies": "Hiking and wildlife photography"},
            {"wedding_date": "Wedding date", "hobbies": "Hobbies"},
            given_at=WEDNESDAY,
        )
    }
    assert found["wedding"].event_date == date(2026, 12, 19) and found["wedding"].confidence >= 0.9
    assert {"hiking", "wildlife_photography", "photography"} <= set(found)


@pytest.fixture
def people(workspace):
    def make(name: str, *, enrichment: bool):
        person = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": name})
        if enrichment:
            services.record(person, Purpose.ENRICHMENT, granted=True, source="api")
        return person

    return make


def _reading(person, value="wedding", kind="life_event", when=None, post=7, at=None):
    at = at or timezone.now() - timedelta(hours=1)
    return services.FactReading(
        person_id=person.pk,
        kind=kind,
        value=value,
        confidence=0.9,
        expires_at=at + timedelta(days=30),
        observed_at=at,
        event_date=when,
        source_post=post,
    )


@pytest.fixture
def announced():
    seen: list[dict] = []

    def handler(name: str, payload: dict) -> None:
        seen.append(payload)

    events.subscribe("consent.life_event_detected", handler)
    yield seen
    events.unsubscribe("consent.life_event_detected", handler)


@pytest.mark.django_db
def test_only_people_with_the_purpose_get_facts_and_a_new_life_event_is_announced_once(
    workspace, people, announced, django_capture_on_commit_callbacks
):
    yes, no = people("Yes", enrichment=True), people("No", enrichment=False)
    saturday = timezone.localdate() + timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.record_enrichment(workspace.pk, [_reading(yes, when=saturday), _reading(no)])
    assert (result.created, result.refused, result.life_events) == (1, 1, 1)
    assert not EnrichmentFact.objects.filter(person=no).exists()
    assert announced == [
        {
            "workspace_id": workspace.pk,
            "person_id": yes.pk,
            "value": "wedding",
            "event_date": saturday.isoformat(),
            "source_post": 7,
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):  # the same reading again: refreshed, not announced
        again = services.record_enrichment(workspace.pk, [_reading(yes, when=saturday, post=8)])
    assert again.created == 0 and len(announced) == 1
    assert EnrichmentFact.objects.get(person=yes).source_post == 8
    with django_capture_on_commit_callbacks(execute=True):  # a new date is news
        services.record_enrichment(workspace.pk, [_reading(yes, when=saturday + timedelta(days=7), post=9)])
    assert len(announced) == 2 and announced[-1]["event_date"] == (saturday + timedelta(days=7)).isoformat()


@pytest.mark.django_db
def test_withdrawal_and_do_not_track_delete_the_facts_and_the_purge_sweeps_the_rest(workspace, people):
    a, b, c = (people(n, enrichment=True) for n in "ABC")
    services.record_enrichment(workspace.pk, [_reading(p) for p in (a, b, c)])
    services.record(a, Purpose.ENRICHMENT, granted=False, source="preference_centre")
    assert not EnrichmentFact.objects.filter(person=a).exists()
    services.set_flags(b, do_not_track=True)
    assert not EnrichmentFact.objects.filter(person=b).exists()
    services.set_flags(c, restricted=True)  # stored, not used: hidden now, swept by the purge
    assert services.enrichment_facts(c) == [] and EnrichmentFact.objects.filter(person=c).exists()
    from rapport.consent import retention

    assert retention.purge_workspace(workspace.pk).purged["enrichment_facts"] == 1
    assert not EnrichmentFact.objects.filter(person=c).exists()


@pytest.mark.django_db
def test_rules_match_facts_and_context_and_say_why(workspace, people):
    p = people("Jonas", enrichment=True)
    today = timezone.localdate()
    services.record_enrichment(workspace.pk, [_reading(p, when=today + timedelta(days=3))])
    facts = services.enrichment_facts(p)
    repair = actions.Context(conversation_id=1, tags=("repair",), text="")
    words = actions.Context(conversation_id=1, tags=(), text="My camera is in REPAIR since Monday")
    for context in (repair, words):
        [s] = actions.suggestions(workspace.pk, facts, context)
        assert "loan camera" in s.action and "wedding in 3 days" in s.because
    assert actions.suggestions(workspace.pk, facts, None) == []  # no conversation: no repair
    assert actions.suggestions(workspace.pk, facts, actions.Context(text="where is my parcel")) == []
    far = people("Far", enrichment=True)
    services.record_enrichment(workspace.pk, [_reading(far, when=today + timedelta(days=20))])
    assert actions.suggestions(workspace.pk, services.enrichment_facts(far), repair) == []  # not within 7 days


@pytest.mark.django_db
def test_a_rule_can_need_a_tag_and_a_word_together(workspace, people, api_factory):
    """"Wildlife photographer with a lens question on a repair case": the tag repair alone, or the word lens
    alone, is not the topic; both together are. The default (any) keeps matching either."""
    admin = api_factory(workspace)
    body = {
        "name": "Lens on a repair case",
        "action": "Offer the telephoto lens loan while the camera is in repair",
        "interest": "wildlife_photography",
        "conversation_tags": ["repair"],
        "keywords": ["lens", "objektiv"],
        "context_match": "all",
    }
    created = admin.post("/enrichment/rules", body)
    assert created.status_code == 201, created.json()
    assert created.json()["context_match"] == "all"
    ActionRule.objects.exclude(pk=created.json()["id"]).update(active=False)  # only this rule is tried
    p = people("Amelia", enrichment=True)
    services.record_enrichment(
        workspace.pk,
        [_reading(p, value="wildlife_photography", kind="interest")],
    )
    facts = services.enrichment_facts(p)
    both = actions.Context(conversation_id=1, tags=("repair",), text="Will a loan lens fit?")
    tag_only = actions.Context(conversation_id=1, tags=("repair",), text="When is it back?")
    word_only = actions.Context(conversation_id=1, tags=(), text="Which lens for owls?")
    [s] = actions.suggestions(workspace.pk, facts, both)
    assert "the conversation is tagged repair and the customer wrote “lens”" in s.because
    assert actions.suggestions(workspace.pk, facts, tag_only) == []
    assert actions.suggestions(workspace.pk, facts, word_only) == []
    rid = created.json()["id"]
    assert admin.patch(f"/enrichment/rules/{rid}", {"context_match": "any"}).json()["context_match"] == "any"
    assert len(actions.suggestions(workspace.pk, facts, tag_only)) == 1
    assert len(actions.suggestions(workspace.pk, facts, word_only)) == 1
    # "all" with only one kind of context cannot be met as meant: the field is named.
    bad = admin.post("/enrichment/rules", {**body, "keywords": []})
    assert bad.status_code == 422 and "context_match" in str(bad.json())
    bad = admin.post("/enrichment/rules", {**body, "context_match": "both"})
    assert bad.status_code == 422 and "context_match" in str(bad.json())


@pytest.mark.django_db
def test_rules_api_edits_validate_and_need_an_admin(workspace, people, api_factory):
    admin, agent = api_factory(workspace), api_factory(workspace, Role.AGENT)
    listed = agent.get("/enrichment/rules").json()
    assert {r["name"] for r in listed if r["default"]} >= {
        "Wedding while the camera is in repair",
        "Wildlife photographer asking about cameras",
    }
    body = {"name": "Runners", "action": "Mention the trail shoe", "interest": "running", "keywords": ["Shoes"]}
    assert agent.post("/enrichment/rules", body).status_code == 403
    created = admin.post("/enrichment/rules", body)
    assert created.status_code == 201 and created.json()["keywords"] == ["shoes"]
    rid = created.json()["id"]
    bad = admin.post("/enrichment/rules", {**body, "interest": "knitting"})
    assert bad.status_code == 422 and "interest" in str(bad.json())
    bad = admin.post("/enrichment/rules", {"name": "x", "action": "y"})
    assert bad.status_code == 422 and "life_event" in str(bad.json())
    assert admin.patch(f"/enrichment/rules/{rid}", {"active": False}).json()["active"] is False
    assert admin.patch(f"/enrichment/rules/{rid}", {"bogus": 1}).status_code == 422
    kept = admin.patch(f"/enrichment/rules/{rid}", {"interest": None, "name": None, "within_days": None})
    assert kept.status_code == 200 and kept.json()["interest"] == "running" and kept.json()["name"] == "Runners"
    assert admin.patch(f"/enrichment/rules/{rid}", {"within_days": 5}).status_code == 422  # needs a life event
    blank = admin.post("/enrichment/rules", {**body, "name": "   "})
    assert blank.status_code == 422 and "name" in str(blank.json())
    assert admin.delete(f"/enrichment/rules/{rid}").status_code == 204
    assert not ActionRule.objects.filter(pk=rid).exists()


@pytest.mark.django_db
def test_rules_of_another_workspace_are_not_found(workspace, other_workspace, api_factory):
    theirs = api_factory(other_workspace)
    rid = theirs.get("/enrichment/rules").json()[0]["id"]
    assert api_factory(workspace).patch(f"/enrichment/rules/{rid}", {"active": False}).status_code == 404


def test_the_evaluation_runs_on_the_labelled_set_and_beats_the_baseline():
    from django.conf import settings

    from rapport.consent.evaluation import evaluate

    if not (settings.RAPPORT_DATA_DIR / "Tweets.csv").exists():
        pytest.skip("the shared data sets are not here")
    report = evaluate()
    assert report["posts"] >= 200 and report["missing_texts"] == 0
    assert set(report["labels"]) >= {"wedding", "moving_house", "new_baby", "new_job", "photography"}
    wedding = report["labels"]["wedding"]
    assert wedding["support"] >= 20 and wedding["detector"]["precision"] > wedding["keyword_baseline"]["precision"]
    assert report["detector_macro_f1"] > report["keyword_baseline_macro_f1"]


def test_the_literal_prefilter_changes_no_reading_of_real_posts():
    import csv

    from django.conf import settings

    from rapport.consent.enrichment import taxonomy
    from rapport.consent.enrichment.detect import required_literals

    assert all(required_literals(c.pattern) for f in taxonomy.ALL for cues in f.cues.values() for c in cues)
    path = settings.RAPPORT_DATA_DIR / "Tweets.csv"
    if not path.exists():
        pytest.skip("the shared data sets are not here")
    with path.open(encoding="utf-8", newline="") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)][:4000]
    for language in ("en", ""):
        for text in texts[:: 1 if language else 4]:
            assert detect(text, language=language) == detect(text, language=language, prefilter=False), text


@pytest.mark.django_db
def test_admins_edit_rules_in_the_settings_and_agents_may_not(workspace, admin_client, member_factory):
    from django.test import Client

    page = admin_client.get("/settings/actions/")
    assert page.status_code == 200 and "Wedding while the camera is in repair" in page.content.decode()
    assert "Next best actions" in admin_client.get("/settings/").content.decode()
    form = {
        "name": "Movers",
        "action": "Offer the moving kit",
        "life_event": "moving_house",
        "within_days": "14",
        "interest": "",
        "conversation_tags": "",
        "keywords": "moving, Boxes",
        "active": "on",
        "position": "50",
    }
    assert admin_client.post("/settings/actions/new/", form).status_code == 302
    rule = ActionRule.objects.get(workspace=workspace, name="Movers")
    assert rule.keywords == ["moving", "boxes"] and rule.within_days == 14
    bad = admin_client.post("/settings/actions/new/", {**form, "name": "Nothing", "life_event": "", "within_days": ""})
    assert bad.status_code == 400 and "needs a life event or an interest" in bad.content.decode()
    agent = Client()
    agent.force_login(member_factory(workspace, Role.AGENT).user)
    assert agent.get("/settings/actions/").status_code == 403
    assert admin_client.post(f"/settings/actions/{rule.pk}/delete/").status_code == 302
    assert not ActionRule.objects.filter(pk=rule.pk).exists()
