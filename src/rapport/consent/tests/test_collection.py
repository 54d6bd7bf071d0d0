"""Sign-up forms, double opt-in, the preference centre and one-click unsubscribe, including the abuse cases."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail, signing
from django.test import Client

from rapport.consent import collection, services
from rapport.consent.models import ConsentEvent, FormAnswer, Purpose, SignupForm
from rapport.consent.views import STAMP_SALT
from rapport.contacts.models import Person
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def form(workspace):
    return SignupForm.objects.create(
        workspace=workspace,
        slug="testers",
        name="Tester community",
        wording="Yes, Acme may email me about the tester community.",
        wording_version="2",
        consents=[{"purpose": "community", "channel": "email"}, {"purpose": "newsletter", "channel": "email"}],
        fields=[
            {"name": "industry", "label": "Industry", "required": True, "choices": ["Construction", "Mining"]},
            {"name": "company_size", "label": "Company size", "required": False, "choices": []},
        ],
    )


def stamp(age: float = 10) -> str:
    return signing.dumps(time.time() - age, salt=STAMP_SALT)


def submit(client, form, **fields):
    data = {"stamp": stamp(), "email": "bo@example.org", "industry": "Mining", **fields}
    return client.post(
        f"/f/{form.workspace.slug}/{form.slug}/", data, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="UA/1"
    )


def confirm_link() -> str:
    return re.search(r"https?://[^/]+(/optin/[^\s]+)", mail.outbox[-1].body).group(1)


def test_the_public_form_shows_the_fields_and_nothing_private(workspace, form):
    create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Secret", "email": "s@x.org"})
    page = Client().get(f"/f/{workspace.slug}/testers/")
    html = page.content.decode()
    assert page.status_code == 200 and "Industry" in html and "Company size" in html
    assert "Secret" not in html and "s@x.org" not in html
    assert "frame-ancestors *" in page["Content-Security-Policy"]
    assert Client().get(f"/f/{workspace.slug}/nope/").status_code == 404


def test_double_opt_in_stores_nothing_until_the_click_then_only_what_was_given(workspace, form):
    client = Client()
    response = submit(client, form, first_name="Bo", company_size="10-49")
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert not Person.objects.exists() and not ConsentEvent.objects.exists()
    link = confirm_link()
    assert client.get(link).status_code == 200  # a mail scanner opening the link confirms nothing
    assert not Person.objects.exists()
    assert client.post(link, REMOTE_ADDR="198.51.100.7").status_code == 200
    person = Person.objects.get()
    assert (person.first_name, person.email, person.last_name, person.phone) == ("Bo", "bo@example.org", "", "")
    assert FormAnswer.objects.get(person=person).answers == {"industry": "Mining", "company_size": "10-49"}
    assert services.may_contact(person, Purpose.COMMUNITY, "email")
    event = ConsentEvent.objects.filter(person=person, purpose=Purpose.COMMUNITY).get()
    assert event.source == "double_opt_in" and event.wording_version == "2"
    assert event.evidence["ip"] == "203.0.113.9" and event.evidence["confirmed_ip"] == "198.51.100.7"
    # A reused link is refused and records nothing more.
    again = client.post(link)
    assert again.status_code == 400 and "already used" in again.content.decode()
    assert ConsentEvent.objects.count() == 2


def test_a_confirmed_sign_up_updates_an_existing_contact_with_only_the_given_fields(workspace, form):
    known = create_person(
        workspace=workspace,
        actor=Actor.system("t"),
        data={"first_name": "Bo", "last_name": "Ek", "email": "BO@example.org"},
    )
    client = Client()
    submit(client, form, company_size="250+")
    client.post(confirm_link())
    known.refresh_from_db()
    assert Person.objects.count() == 1 and known.last_name == "Ek"
    assert FormAnswer.objects.get().person_id == known.pk


def test_forged_and_expired_links_are_refused_with_nothing_recorded(workspace, form, settings):
    client = Client()
    submit(client, form)
    link = confirm_link()
    assert client.post(link[:-3] + "xx/").status_code == 400
    forged = signing.dumps({"f": form.pk, "s": {"email": "x@y.org"}, "a": {}, "e": {}, "n": "a" * 32}, salt="other")
    assert client.post(f"/optin/{forged}/").status_code == 400
    settings_days = collection.OPT_IN_DAYS
    collection.OPT_IN_DAYS = 0
    try:
        time.sleep(1.1)
        expired = client.post(link)
    finally:
        collection.OPT_IN_DAYS = settings_days
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    assert not Person.objects.exists() and not ConsentEvent.objects.exists()


def test_bad_input_names_the_field(workspace, form):
    response = submit(Client(), form, email="not-an-email", industry="Farming")
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-field="industry"' in html and "choose one of Construction, Mining" in html
    assert 'data-field="email"' in html
    assert not mail.outbox


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("company_size", "10\x00", "Company size contains control characters"),
        ("company_size", "x" * 501, "Company size is longer than 500 characters"),
        ("industry", "Mining\x00", "Industry contains control characters"),
        ("first_name", "B\x00o", "First name contains control characters"),
        ("email", "x" * 5000 + "@example.org", "Email is longer than 500 characters"),
    ],
)
def test_a_control_character_or_an_overlong_value_is_refused_naming_the_field(workspace, form, field, value, message):
    """A custom answer was cut to 500 characters without a word, and a NUL in it broke the confirmation (PostgreSQL
    cannot store one in JSON): both are now the person's error, on the field."""
    response = submit(Client(), form, **{field: value})
    html = response.content.decode()
    assert response.status_code == 400
    assert f'data-field="{field}"' in html and message in html
    assert not mail.outbox and not Person.objects.exists() and not FormAnswer.objects.exists()


def test_a_nul_in_the_user_agent_costs_nobody_their_sign_up_or_unsubscribe(workspace, form):
    """The evidence keeps the user agent without its control characters instead of failing the request."""
    client = Client()
    assert submit(client, form).status_code == 200
    confirmed = client.post(confirm_link(), HTTP_USER_AGENT="Mail\x00Scanner/2")
    assert confirmed.status_code == 200
    person = Person.objects.get()
    evidence = ConsentEvent.objects.filter(person=person).first().evidence
    assert evidence["confirmed_user_agent"] == "MailScanner/2"
    preferences = "/preferences/" + collection.preference_token(person) + "/"
    response = client.post(preferences, {"consent": ["community:email"]}, HTTP_USER_AGENT="UA\x00/1")
    assert response.status_code == 302
    assert not services.may_contact(person, Purpose.NEWSLETTER, "email")
    assert services.may_contact(person, Purpose.COMMUNITY, "email")
    path = "/unsubscribe/" + collection.unsubscribe_token(person, Purpose.COMMUNITY) + "/"
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded", HTTP_USER_AGENT="\x00"
    )
    assert response.status_code == 200 and not services.may_contact(person, Purpose.COMMUNITY, "email")
    assert ConsentEvent.objects.filter(person=person, source="unsubscribe").get().evidence["user_agent"] == ""


def test_bots_meet_the_honeypot_and_the_time_check_and_get_the_same_answer(workspace, form):
    client = Client()
    honeypot = submit(client, form, website="http://spam.example")
    too_fast = submit(client, form, stamp=stamp(age=0))
    no_stamp = submit(client, form, stamp="")
    for response in (honeypot, too_fast, no_stamp):
        assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    assert not mail.outbox and not Person.objects.exists()


def test_form_posts_are_rate_limited_per_address(workspace, form):
    client = Client()
    codes = [submit(client, form, email=f"p{i}@example.org").status_code for i in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]
    assert len(mail.outbox) == 10


def test_without_double_opt_in_the_form_records_at_once(workspace, form):
    form.double_opt_in = False
    form.save()
    submit(Client(), form)
    person = Person.objects.get()
    assert services.may_contact(person, Purpose.NEWSLETTER, "email")
    assert ConsentEvent.objects.filter(person=person).first().source == "form"


def test_the_preference_centre_changes_per_purpose_and_channel_and_its_links_are_single_use(workspace):
    person = create_person(
        workspace=workspace, actor=Actor.system("t"), data={"first_name": "Liv", "email": "liv@x.org"}
    )
    services.record(person, Purpose.NEWSLETTER, granted=True, channel="email", source="api")
    services.record(person, Purpose.OFFERS, granted=True, channel="email", source="api")
    client = Client()
    path = "/preferences/" + collection.preference_token(person) + "/"
    page = client.get(path)
    html = page.content.decode()
    assert page.status_code == 200 and "Liv" not in html and "liv@x.org" not in html
    assert 'value="newsletter:email" aria-label="Newsletter by Email" checked' in html
    shown = set(re.findall(r'value="([a-z_]+:[a-z_]*)"[^>]*checked', html))
    assert {"newsletter:email", "offers:email", "profiling:", "surveys:email"} <= shown and "enrichment:" not in shown
    # Keep the newsletter, drop offers by email, add offers by post; leave the rest as shown.
    response = client.post(path, {"consent": sorted(shown - {"offers:email"} | {"offers:post"})})
    assert response.status_code == 302
    assert services.may_contact(person, Purpose.NEWSLETTER, "email")
    assert not services.may_contact(person, Purpose.OFFERS, "email")
    assert services.may_contact(person, Purpose.OFFERS, "post")
    changes = ConsentEvent.objects.filter(person=person, source="preference_centre")
    assert changes.count() == 2
    assert client.post(path, {"consent": []}).status_code == 400  # the used link is refused
    assert client.get(path).status_code == 400
    assert services.may_contact(person, Purpose.NEWSLETTER, "email")
    fresh = client.get(response["Location"])
    assert fresh.status_code == 200
    client.post(response["Location"], {"withdraw_all": "1"})
    assert services.permitted(workspace.pk, [person.pk], Purpose.NEWSLETTER, "email") == set()


def test_one_click_unsubscribe_follows_rfc_8058(workspace):
    person = create_person(workspace=workspace, actor=Actor.system("t"), data={"first_name": "Ola", "email": "o@x.org"})
    services.record(person, Purpose.NEWSLETTER, granted=True, channel="email", source="api")
    headers = collection.unsubscribe_headers(person, Purpose.NEWSLETTER)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = re.search(r"<https?://[^/]+(/unsubscribe/[^>]+)>", headers["List-Unsubscribe"]).group(1)
    client = Client(enforce_csrf_checks=True)
    assert client.get(path).status_code == 200 and services.may_contact(person, Purpose.NEWSLETTER, "email")
    response = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not services.may_contact(person, Purpose.NEWSLETTER, "email")
    client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert ConsentEvent.objects.filter(person=person, source="unsubscribe").count() == 1
    assert client.post(path[:-4] + "abc/").status_code == 400


def test_forms_are_created_through_the_api_with_fields_named_in_errors(workspace, api_factory):
    api = api_factory(workspace, Role.MARKETER)
    bad = api.post("/privacy/forms", {"slug": "x", "name": "X", "wording": "w", "consents": [{"purpose": "nope"}]})
    assert bad.status_code == 422 and "consents" in str(bad.json()["detail"][0]["loc"])
    clash = api.post(
        "/privacy/forms",
        {
            "slug": "x",
            "name": "X",
            "wording": "w",
            "consents": [{"purpose": "newsletter"}],
            "fields": [{"name": "email", "label": "E"}],
        },
    )
    assert clash.status_code == 422 and clash.json()["detail"][0]["loc"] == ["body", "fields"]
    ok = api.post("/privacy/forms", {"slug": "x", "name": "X", "wording": "w", "consents": [{"purpose": "newsletter"}]})
    assert (
        ok.status_code == 201
        and ok.json()["url"].endswith(f"/f/{workspace.slug}/x/")
        and "<iframe" in ok.json()["embed"]
    )
    assert (
        api.post(
            "/privacy/forms", {"slug": "x", "name": "X", "wording": "w", "consents": [{"purpose": "newsletter"}]}
        ).status_code
        == 409
    )
    assert api_factory(workspace, Role.AGENT).get("/privacy/forms").status_code == 403
    # The wording a form collects consent with is evidence: who created it, and with what words, is in the log.
    created = AuditEvent.objects.get(action="consent.form_created")
    assert created.object_id == str(ok.json()["id"]) and created.actor_label.startswith("marketer@")
    assert created.after["wording"] == "w"
    assert created.after["consents"] == [{"purpose": "newsletter", "channel": "email"}]


def test_the_preference_centre_reads_a_bounded_number_of_rows(workspace, django_assert_max_num_queries):
    """Its 24 contact cells are one grid read (contact_answers), not three queries a cell."""
    person = create_person(workspace=workspace, actor=Actor.system("t"), data={"email": "liv@x.org"})
    services.record(person, Purpose.NEWSLETTER, granted=True, channel="email", source="api")
    path = "/preferences/" + collection.preference_token(person) + "/"
    with django_assert_max_num_queries(9):
        page = Client().get(path)
    assert page.status_code == 200
    assert 'value="newsletter:email" aria-label="Newsletter by Email" checked' in page.content.decode()
