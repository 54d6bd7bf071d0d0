"""CSAT after resolution: one signed survey link on the conversation's channel, answered once, forgeries refused."""

import re

import pytest
from django.core import signing
from django.test import Client

from rapport.care import services, surveys
from rapport.care.models import Conversation, CsatResponse, Message
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.core.actors import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(workspace, django_capture_on_commit_callbacks):
    brand(workspace)
    social_policy(workspace)
    person(workspace, "Ana", "Lopez", handle="analopez")
    ingest(workspace, [post("@acmeair my bag is lost", handle="analopez")], django_capture_on_commit_callbacks)
    conv = Conversation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(conversation=conv, actor=Actor.system("test"))
    return conv


def test_resolving_sends_one_survey_link_on_the_channel(resolved, django_capture_on_commit_callbacks):
    survey = Message.objects.get(conversation=resolved, kind="survey")
    assert survey.direction == "outbound" and survey.network == "twitter"
    assert "/survey/" in survey.text
    services.set_status(conversation=resolved, actor=Actor.system("t"), status="open")
    with django_capture_on_commit_callbacks(execute=True):
        services.resolve(conversation=resolved, actor=Actor.system("t"))
    assert Message.objects.filter(conversation=resolved, kind="survey").count() == 1


def test_the_customer_answers_once_through_the_link(resolved):
    text = Message.objects.get(conversation=resolved, kind="survey").text
    path = re.search(r"https?://[^/]+(/survey/[^\s]+)", text).group(1)
    client = Client()
    assert "How did we do?" in client.get(path).content.decode()
    assert client.post(path, {"score": "9"}).status_code == 400
    for odd in ("great", "²"):
        not_a_number = client.post(path, {"score": odd})
        assert not_a_number.status_code == 400 and "Choose a rating from 1 to 5." in not_a_number.content.decode()
    assert client.post(path, {"score": "4", "comment": "Bag arrived next day"}).status_code == 200
    assert client.post(path, {"score": "5"}).status_code == 200  # a change of mind replaces the rating, not adds one
    answer = CsatResponse.objects.get(conversation=resolved)
    assert (answer.score, answer.comment) == (5, "Bag arrived next day")


def test_one_click_records_the_rating_in_the_link_and_a_comment_is_optional(resolved):
    path = re.search(r"https?://[^/]+(/survey/[^\s?]+)", Message.objects.get(kind="survey").text).group(1)
    client = Client()
    # A link preview or a mail scanner fetching the link records nothing.
    assert client.get(f"{path}?score=1", HTTP_USER_AGENT="Twitterbot/1.0").status_code == 200
    assert client.get(f"{path}?score=1", HTTP_SEC_PURPOSE="prefetch").status_code == 200
    assert not CsatResponse.objects.exists()
    page = client.get(f"{path}?score=4", HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64)").content.decode()
    assert "You rated us 4 out of 5" in page and "(optional)" in page
    assert CsatResponse.objects.get(conversation=resolved).score == 4
    client.post(path, {"comment": "Quick and kind"})
    answer = CsatResponse.objects.get(conversation=resolved)
    assert (answer.score, answer.comment) == (4, "Quick and kind")
    assert client.get(f"{path}?score=x").status_code == 400


def test_email_surveys_carry_one_link_per_rating(resolved):
    resolved.channel = "email"
    text = surveys.survey_text(resolved)
    links = re.findall(r"https?://\S+\?score=(\d)", text)
    assert links == ["1", "2", "3", "4", "5"]


def test_survey_links_follow_the_port_served(resolved, settings):
    from unittest import mock

    from django.core.management import call_command

    settings.RAPPORT_PUBLIC_URL = ""
    settings.RAPPORT_SERVED_URL = ""  # restored after the test, whatever serve sets
    with mock.patch("waitress.serve") as serve:
        call_command("serve", port=8765, no_jobs=True)
    assert serve.call_args.kwargs["port"] == 8765
    assert surveys.survey_url(resolved).startswith("http://127.0.0.1:8765/survey/")
    settings.RAPPORT_PUBLIC_URL = "https://care.example.com/"
    assert surveys.survey_url(resolved, 5).startswith("https://care.example.com/survey/")
    assert surveys.survey_url(resolved, 5).endswith("?score=5")


def test_forged_or_foreign_tokens_are_refused(resolved, other_workspace):
    good = surveys.survey_token(resolved)
    client = Client()
    assert client.get(f"/survey/{good[:-2]}xx/").status_code == 404
    forged = signing.dumps({"c": resolved.pk, "w": other_workspace.pk}, salt=surveys.SALT, compress=True)
    assert client.get(f"/survey/{forged}/").status_code == 404
    unsalted = signing.dumps({"c": resolved.pk, "w": resolved.workspace_id}, compress=True)
    assert client.get(f"/survey/{unsalted}/").status_code == 404
    assert not CsatResponse.objects.exists()


def test_a_link_to_a_reopened_conversation_says_so_and_stores_nothing(resolved):
    services.set_status(conversation=resolved, actor=Actor.system("t"), status="open")
    path = f"/survey/{surveys.survey_token(resolved)}/"
    response = Client().post(path, {"score": "5"})
    assert response.status_code == 400 and "open again" in response.content.decode()
    assert not CsatResponse.objects.exists()


def test_a_comment_on_a_reopened_conversation_says_so_and_a_nul_in_it_names_the_field(resolved):
    path = f"/survey/{surveys.survey_token(resolved)}/"
    client = Client()
    assert client.post(path, {"score": "4"}).status_code == 200
    response = client.post(path, {"comment": "great\x00"})
    assert response.status_code == 400 and "comment: remove the NUL character" in response.content.decode()
    response = client.post(path, {"score": "5", "comment": "\x00"})
    assert response.status_code == 400 and "comment:" in response.content.decode()
    assert CsatResponse.objects.get().score == 4 and CsatResponse.objects.get().comment == ""
    services.set_status(conversation=resolved, actor=Actor.system("t"), status="open")
    response = client.post(path, {"comment": "later thoughts"})
    assert response.status_code == 400 and "open again" in response.content.decode()
    assert CsatResponse.objects.get().comment == ""
