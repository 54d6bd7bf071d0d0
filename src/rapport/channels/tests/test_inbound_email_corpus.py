"""Mail as people send it: CPython's corpus of real-world MIME shapes through the signed inbound-email webhook.
Every message naming a sender becomes a stored message; only those with no sender at all are dead-lettered."""

import time
from pathlib import Path

import pytest
from django.test import Client

from rapport.channels.services import upsert_channel, webhook_path
from rapport.core.actors import Actor
from rapport.listening.models import Post
from rapport.pipeline.connectors.generic.webhook import sign
from rapport.pipeline.models import DeadLetter

pytestmark = pytest.mark.django_db(transaction=True)
CORPUS = sorted((Path(__file__).resolve().parents[4] / "tests" / "data" / "cpython-email").glob("msg_*.txt"))


def test_the_cpython_corpus_becomes_messages_and_only_senderless_mail_is_dead_lettered(workspace):
    assert len(CORPUS) == 48
    channel = upsert_channel(
        workspace=workspace,
        actor=Actor.system("t"),
        network="email",
        handle="care@acme.example",
        name="Care",
        credentials={"secret": "inbound-secret"},
    )
    answers = {}
    for path in CORPUS:
        body = path.read_bytes()
        stamp = int(time.time())
        response = Client().post(
            webhook_path(channel),
            body,
            content_type="message/rfc822",
            HTTP_X_RAPPORT_TIMESTAMP=str(stamp),
            HTTP_X_RAPPORT_SIGNATURE=sign(body, timestamp=stamp, secret="inbound-secret"),
        )
        answers[path.name] = response.status_code
    assert all(code in (200, 202) for code in answers.values()), answers
    letters = DeadLetter.objects.filter(workspace=workspace)
    stored = Post.objects.filter(workspace=workspace, network="email")
    # 39 accepted; the corpus reuses two Message-IDs (msg_01, 03, 14, 20, 29 and msg_04, 44 are one message
    # each by RFC 5322), so 34 distinct messages are stored.
    assert list(answers.values()).count(200) == 39 and stored.count() == 34
    # The nine without any sender address: MIME fragments with no headers of their own, "From: foo", a bounce from <>.
    assert letters.count() == 9 and all(letter.reason.startswith("From: no sender address") for letter in letters)
    assert {name for name, code in answers.items() if code == 202} == {
        "msg_05.txt", "msg_11.txt", "msg_18.txt", "msg_19.txt", "msg_37.txt", "msg_38.txt", "msg_39.txt",
        "msg_40.txt", "msg_43.txt",
    }
    synthesized = [p for p in stored if p.raw.get("message_id_synthesized")]
    assert len(synthesized) == 25
