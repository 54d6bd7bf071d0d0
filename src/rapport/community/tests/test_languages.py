"""The public community in the customers' languages: the pages, the member's level and badges, and the errors of
the public forms follow ?lang= or the browser's language; what is stored (a held post's reason, badge reasons) stays
in English, and the API answers in English whatever the caller asks."""

import pytest
from django.test import Client

from rapport.community import services
from rapport.community.models import CommunityMember
from rapport.community.tests.helpers import MEMBER_PASSWORD, category, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(workspace):
    cat = category(workspace)
    asker, expert = member(workspace, "asker"), member(workspace, "kohlmark")
    q = services.ask(author=asker, category=cat, title="Phone will not charge", body="It stopped yesterday.")
    a = services.answer(question=q, author=expert, body="Clean the port with a soft brush.")
    services.accept(answer=a, by_member=asker)
    return q


def test_the_home_question_and_profile_pages_speak_danish(workspace, answered):
    visitor = Client()
    base = f"/community/{workspace.slug}/"
    home = visitor.get(f"{base}?lang=da").content.decode()
    assert "Seneste spørgsmål" in home and "Kategorier" in home and "(1 spørgsmål)" in home and "løst" in home
    assert "Recent questions" not in home
    page = visitor.get(f"{base}q/{answered.pk}/").content.decode()  # the choice is remembered
    assert "Accepteret svar" in page and "1 svar" in page and "Log ind</a> eller" in page
    assert "Accepted answer" not in page and "Phone will not charge" in page  # members' words are not translated
    profile = visitor.get(f"{base}u/kohlmark/").content.decode()
    assert "Mærker" in profile and "Hjælpende hånd" in profile and "besvarede et første spørgsmål" in profile
    assert "Niveauer" in profile and "Nyt medlem" in profile and "indlæg vises med det samme" in profile
    assert "Badges" not in profile and "Helping hand" not in profile


def test_form_errors_follow_the_browsers_language_and_the_api_stays_english(workspace, answered, api):
    visitor = Client()
    base = f"/community/{workspace.slug}/"
    r = visitor.post(f"{base}join", {"handle": "x", "email": "nope", "password": "short"}, HTTP_ACCEPT_LANGUAGE="de")
    html = r.content.decode()
    assert r.status_code == 422
    assert "Name in der Community: 3 bis 40 Buchstaben" in html and "E-Mail: eine E-Mail-Adresse" in html
    assert "Passwort: mindestens 10 Zeichen" in html
    assert not CommunityMember.objects.filter(workspace=workspace, handle="x").exists()
    wrong = visitor.post(
        f"{base}signin", {"email": "asker@mail.example", "password": "wrong-one!"}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert wrong.status_code == 401 and "Onjuist e-mailadres of wachtwoord." in wrong.content.decode()
    good = Client()
    assert good.post(f"{base}signin", {"email": "asker@mail.example", "password": MEMBER_PASSWORD}).status_code == 302
    r = good.post(f"{base}q/{answered.pk}/answer", {"body": "x"}, HTTP_ACCEPT_LANGUAGE="sv")
    assert r.status_code == 422 and "Ditt svar: 2 till 10000 tecken." in r.content.decode()
    experts = api.client.get("/api/v1/community/experts?topic=iphone-5", HTTP_ACCEPT_LANGUAGE="da", **api._headers())
    assert experts.status_code == 200 and "level_name" in experts.content.decode()
    assert "Nyt medlem" not in experts.content.decode() and "Stamgæst" not in experts.content.decode()
