"""The interface in the reader's language: a signed-in user's own choice (their account page), else the browser's
Accept-Language; public pages also take ?lang= (remembered in a cookie); dates and numbers in that language's
formats. English stays the default, and the API answers in English whatever the caller asks for."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import login
from django.test import Client

from rapport.care import services as care_services
from rapport.care.models import Conversation
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.channels.services import upsert_channel
from rapport.consent import collection
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.models import Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(workspace):
    return create_person(
        workspace=workspace,
        actor=Actor.system("test"),
        data={"first_name": "Ane", "last_name": "Holm", "email": "ane@mail.example", "date_of_birth": "1990-12-02"},
        identities=[{"network": "twitter", "handle": "aneholm", "external_id": "tw-aneholm", "followers": 1234567}],
    )


def _as(member, language: str):
    User.objects.filter(pk=member.user_id).update(language=language)
    return login(member)


def test_a_danish_user_reads_danish_navigation_dates_and_numbers(workspace, member_factory, contact):
    client = _as(member_factory(workspace, Role.ADMIN), "da")
    page = client.get(f"/contacts/{contact.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "da"
    assert '<html lang="da">' in html
    for danish in (">Kontakter<", ">Omtaler<", ">Indstillinger<", ">Log ud<", ">Detaljer<", ">Tidslinje<"):
        assert danish in html, danish
    assert ">Contacts<" not in html and ">Sign out<" not in html and ">Timeline<" not in html
    assert "2. dec. 1990" in html  # the birthday in Danish (English: 2 Dec 1990)
    assert "1.234.567 følgere" in html  # Danish thousands separator


def test_english_stays_the_default_with_the_same_formats_as_before(workspace, member_factory, contact):
    page = login(member_factory(workspace, Role.ADMIN)).get(f"/contacts/{contact.pk}/")
    html = page.content.decode()
    assert '<html lang="en">' in html and ">Contacts<" in html and ">Sign out<" in html
    assert "2 Dec 1990" in html and "1,234,567 followers" in html


def test_the_users_own_language_wins_over_the_browsers(workspace, member_factory):
    client = _as(member_factory(workspace, Role.ADMIN), "nl")
    html = client.get("/contacts/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert ">Contacten<" in html and ">Kontakte<" not in html
    # with no choice of their own, the browser's language
    User.objects.update(language="")
    html = client.get("/contacts/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").content.decode()
    assert ">Kontakte<" in html and '<html lang="de">' in html


def test_timestamps_follow_the_language(workspace, member_factory):
    from rapport.core.services import record_audit

    admin = member_factory(workspace, Role.ADMIN)
    record_audit(
        workspace=workspace, actor=Actor.for_user(admin.user), action="team.created", object_type="team", object_id=1
    )
    from rapport.core.models import AuditEvent

    AuditEvent.objects.update(created_at=dt.datetime(2026, 12, 2, 14, 5, tzinfo=dt.UTC))
    assert "2026-12-02 14:05" in login(admin).get("/settings/").content.decode()
    html = _as(admin, "de").get("/settings/").content.decode()
    assert "02.12.2026 14:05" in html and "Einstellungen von" in html and "Letzte Änderungen" in html


def test_the_language_chosen_on_the_account_page_is_saved_and_used(workspace, member_factory):
    member = member_factory(workspace, Role.AGENT)
    client = login(member)
    account = client.get("/account/").content.decode()
    assert 'name="language"' in account and '<option value="nb" lang="nb" >Norsk</option>' in account
    saved = client.post("/account/language/", {"language": "sv"}, follow=True)
    member.user.refresh_from_db()
    assert member.user.language == "sv"
    html = saved.content.decode()
    assert "Ditt språk är sparat." in html and ">Ditt konto<" in html
    assert '<option value="sv" lang="sv" selected>Svenska</option>' in html
    assert ">Inkorg" in client.get("/inbox/").content.decode()  # every page, not only the account's
    client.post("/account/language/", {"language": ""})
    member.user.refresh_from_db()
    assert member.user.language == "" and ">Inbox" in client.get("/inbox/").content.decode()


def test_a_language_rapport_does_not_ship_is_refused_by_name(workspace, member_factory):
    member = member_factory(workspace, Role.AGENT)
    client = _as(member, "de")
    page = client.post("/account/language/", {"language": "fr"}, follow=True)
    member.user.refresh_from_db()
    assert member.user.language == "de"
    assert "choose one of en, da, sv, nb, de, nl" in page.content.decode()


def test_the_language_form_needs_a_signed_in_user_and_a_post(workspace, member_factory):
    assert Client().post("/account/language/", {"language": "da"}).status_code == 302  # to the sign-in
    assert login(member_factory(workspace, Role.AGENT)).get("/account/language/").status_code == 405


def test_error_pages_are_in_the_users_language(workspace, member_factory):
    client = _as(member_factory(workspace, Role.MARKETER), "nb")
    missing = client.get("/contacts/999999/")
    assert missing.status_code == 404 and "Her er det ingenting" in missing.content.decode()
    refused = client.get("/settings/")
    assert refused.status_code == 403 and "Du kan ikke åpne denne siden" in refused.content.decode()
    inbox = client.get("/inbox/").content.decode()
    assert "Rollen markedsfører kan ikke bruke innboksen." in inbox and "med rollen markedsfører i" in inbox


@pytest.fixture
def survey(workspace, django_capture_on_commit_callbacks):
    from rapport.care import surveys

    brand(workspace)
    social_policy(workspace)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(workspace, [post("@acmeair my bag is lost", handle="analopez")], django_capture_on_commit_callbacks)
    conversation = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        care_services.resolve(conversation=conversation, actor=Actor.system("test"))
    return surveys.survey_url(conversation).split("://", 1)[1].split("/", 1)[1]


def test_the_survey_page_follows_the_visitors_browser(survey):
    english = Client().get(f"/{survey}").content.decode()
    assert "How did we do?" in english and "very happy" in english
    page = Client().get(f"/{survey}", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    html = page.content.decode()
    assert page["Content-Language"] == "de" and "Accept-Language" in page["Vary"]
    assert "Wie waren wir?" in html and "sehr zufrieden" in html and "How did we do?" not in html
    rated = Client().post(f"/{survey}", {"score": "9"}, HTTP_ACCEPT_LANGUAGE="de")
    assert rated.status_code == 400 and "Wählen Sie eine Bewertung von 1 bis 5." in rated.content.decode()


def test_lang_in_the_address_chooses_the_language_and_is_remembered(survey):
    visitor = Client()
    html = visitor.get(f"/{survey}?lang=de", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Wie waren wir?" in html
    # the language links on a public page, each in its own language
    assert 'href="?lang=da" hreflang="da" lang="da" class="">Dansk</a>' in html
    assert 'class="active">Deutsch</a>' in html
    again = visitor.get(f"/{survey}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Wie waren wir?" in again  # the cookie the link set
    assert "How did we do?" in visitor.get(f"/{survey}?lang=en").content.decode()
    assert "How did we do?" in Client().get(f"/{survey}?lang=xx").content.decode()  # unknown: ignored


def test_the_preference_centre_in_german(workspace):
    person_ = create_person(
        workspace=workspace, actor=Actor.system("test"), data={"first_name": "Jan", "email": "jan@mail.example"}
    )
    path = f"/preferences/{collection.preference_token(person_)}/"
    html = Client().get(path, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Worüber wir Sie kontaktieren dürfen" in html and "Newsletter" in html
    assert "Persönliche Angebote" in html and "Briefpost" in html and "Alles widerrufen" in html
    dutch = Client().get(f"{path}?lang=nl").content.decode()
    assert "Waarover we contact met je mogen opnemen" in dutch and "Nieuwsbrief" in dutch
    gone = Client().get("/preferences/not-a-token/", HTTP_ACCEPT_LANGUAGE="de")
    assert gone.status_code == 400 and "Dieser Link ist ungültig." in gone.content.decode()


def test_the_chat_widget_speaks_the_visitors_language(workspace):
    channel = upsert_channel(workspace=workspace, actor=Actor.system("t"), network="chat", handle="site", name="")
    script = Client().get(f"/chat/{channel.webhook_key}/widget.js?lang=de").content.decode()
    assert '"Nachricht schreiben"' in script and '"Senden"' in script and '"Chatten Sie mit uns"' in script
    danish = Client().get(f"/chat/{channel.webhook_key}/widget.js", HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert '"Skriv en besked"' in danish
    english = Client().get(f"/chat/{channel.webhook_key}/widget.js").content.decode()
    assert '"Write a message"' in english and '"Send"' in english


def test_the_api_answers_in_english_whatever_the_caller_asks(api, workspace):
    response = api.client.get("/api/v1/contacts/999999", HTTP_ACCEPT_LANGUAGE="de", **api._headers())
    assert response.status_code == 404 and response["Content-Language"] == "en"
    assert Client().get("/api/v1/contacts?lang=da")["Content-Language"] == "en"


def test_charts_keep_machine_numbers_while_the_text_is_danish(workspace, member_factory):
    """A Danish decimal comma inside an SVG coordinate would break the drawing: charts are drawn unlocalized."""
    import re

    from rapport.pipeline.ingest import process_batch
    from rapport.pipeline.tests.factories import make_post

    day = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    process_batch(
        workspace_id=workspace.pk,
        posts=[make_post(i, f"acme parcel {i}", at=day + dt.timedelta(days=i)) for i in range(7)],
    )
    client = _as(member_factory(workspace, Role.ADMIN), "da")
    html = client.get("/mentions/", {"from": "2026-11-01", "to": "2026-11-30"}).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert re.search(r'x="\d+\.\d+"', svg), "the bars sit at fractional positions"
    assert not re.search(r'="[\d.]*,\d', svg), "a decimal comma in an SVG attribute"
    assert "1. nov. 2026 – 30. nov. 2026" in html and "<strong>7</strong> opslag, pr. dag" in html


def test_a_sign_up_form_in_the_visitors_language(workspace):
    from rapport.consent.models import SignupForm
    from rapport.consent.tests.test_collection import stamp

    form = SignupForm.objects.create(
        workspace=workspace,
        slug="testers",
        name="Testerne",
        wording="Ja, Acme må sende mig e-mails.",
        wording_version="1",
        consents=[{"purpose": "newsletter", "channel": "email"}],
        fields=[{"name": "industry", "label": "Branche", "required": True, "choices": []}],
    )
    path = f"/f/{workspace.slug}/{form.slug}/"
    html = Client().get(path, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Vorname" in html and "Nachname" in html and ">Anmelden<" in html
    assert "Branche *" in html and "Ja, Acme må sende mig e-mails." in html  # the brand's own words stay
    sent = Client().post(path, {"stamp": stamp(), "email": "bo@example.org"}, HTTP_ACCEPT_LANGUAGE="de")
    assert sent.status_code == 400 and "Branche ist erforderlich" in sent.content.decode()
