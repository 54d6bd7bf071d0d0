"""The public community pages: anonymous reading without leaks, and the member flow with CSRF and rate limits."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from rapport.care.conversations import add_note
from rapport.care.models import Conversation, Message, MessageDirection
from rapport.community import edits, moderation, services
from rapport.community.models import CommunityMember
from rapport.community.tests.helpers import MEMBER_PASSWORD, category, member
from rapport.contacts.services import create_person
from rapport.core.actors import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(workspace, other_workspace, member_factory):
    cat = category(workspace)
    asker, expert = member(workspace, "asker"), member(workspace, "kohlmark")
    q = services.ask(author=asker, category=cat, title="Phone will not charge", body="It stopped <b>yesterday</b>.")
    a = services.answer(question=q, author=expert, body="Clean the port <script>alert(1)</script>.")
    services.accept(answer=a, by_member=asker)
    # A question asked from the inbox: the conversation carries a customer's details and an internal note.
    customer = create_person(
        workspace=workspace,
        actor=Actor.system(),
        data={"first_name": "Wilhelmina", "email": "wilhelmina@private.example", "phone": "+43 660 7654321"},
    )
    conv = Conversation.objects.create(workspace=workspace, person=customer, subject="charging")
    Message.objects.create(
        workspace=workspace,
        conversation=conv,
        network="email",
        kind="email",
        direction=MessageDirection.INBOUND,
        text="Hi, Wilhelmina here (wilhelmina@private.example, +43 660 7654321): my iPhone 5 screen flickers.",
        author_label="wilhelmina@private.example",
        created_at=timezone.now(),
    )
    agent = member_factory(workspace).user
    add_note(conversation=conv, agent=agent, text="INTERNAL: VIP, offer a voucher")
    inbox_q = services.ask_from_conversation(conversation=conv, category=cat, agent=agent)
    # An edited post (its old text only in the moderators' history), a suspended member with a public answer (the
    # reason is for moderators), and an answer a moderator hid.
    edited = services.ask(author=asker, category=cat, title="Router setup details", body="PRIVATEOLDTEXT street 5")
    edits.edit(post=edited, member=asker, body="details removed")
    troll = member(workspace, "troll")
    services.answer(question=edited, author=troll, body="Try turning it off and on.")
    moderation.suspend(member=troll, user=agent, reason="SUSPENSIONREASON repeated insults")
    hidden = services.answer(question=edited, author=expert, body="HIDDENANSWERTEXT call me")
    moderation.moderate(post=hidden, action="hide", user=agent)
    # Another workspace's community.
    ocat = category(other_workspace, "Globex Widgets", "iphone-5")
    oq = services.ask(author=member(other_workspace, "rival"), category=ocat, title="GLOBEX SECRET PLAN", body="x")
    return {"question": q, "answer": a, "inbox": inbox_q, "other": oq}


FORBIDDEN = [
    "@mail.example",
    "wilhelmina",
    "7654321",
    "INTERNAL",
    "voucher",
    "GLOBEX",
    "Globex Widgets",
    "<script>alert",
    "<b>yesterday",
    "PRIVATEOLDTEXT",
    "SUSPENSIONREASON",
    "HIDDENANSWERTEXT",
]


def test_every_public_page_as_an_anonymous_visitor_leaks_nothing(client, workspace, community):
    base = f"/community/{workspace.slug}/"
    seen: set[str] = set()
    todo = [base, f"{base}search?q=phone", f"{base}search?q=flickers", f"{base}join", f"{base}signin"]
    todo += [f"{base}search?q={w}" for w in ("street", "call", "details", "router", "insults")]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        assert r.status_code in (200, 302), url
        if r.status_code == 302:
            assert "/signin" in r["Location"], url
            continue
        html = r.content.decode()
        for bad in FORBIDDEN:
            assert bad.lower() not in html.lower(), (url, bad)
        todo += [u for u in re.findall(r'href="(/community/[^"]+)"', html) if u not in seen]
    assert f"{base}q/{community['question'].pk}/" in seen and f"{base}q/{community['inbox'].pk}/" in seen
    assert f"{base}c/iphone-5/" in seen and f"{base}ask" in seen
    page = client.get(f"{base}q/{community['question'].pk}/").content.decode()
    assert "Clean the port &lt;script&gt;" in page and "Accepted answer" in page and "kohlmark" in page
    assert "screen flickers" in client.get(f"{base}q/{community['inbox'].pk}/").content.decode()
    assert "Phone will not charge" in client.get(f"{base}search?q=charge").content.decode()
    # Words only in an edited-away text or a hidden answer find nothing; the edited text finds the question.
    for gone in ("street", "call"):
        assert "Nothing found" in client.get(f"{base}search?q={gone}").content.decode(), gone
    assert "Router setup details" in client.get(f"{base}search?q=removed").content.decode()
    # Another workspace's question is not reachable through this workspace's address.
    assert client.get(f"{base}q/{community['other'].pk}/").status_code == 404
    assert client.get("/community/no-such-workspace/").status_code == 404


def test_the_public_layout_is_not_the_staff_layout(client, workspace, community):
    html = client.get(f"/community/{workspace.slug}/").content.decode()
    assert "/inbox" not in html and "/contacts" not in html and "<script" not in html


def _signed_in(workspace, email: str) -> Client:
    c = Client()
    r = c.post(f"/community/{workspace.slug}/signin", {"email": email, "password": MEMBER_PASSWORD})
    assert r.status_code == 302
    return c


def test_join_ask_answer_vote_accept_without_javascript(workspace, mailoutbox, django_capture_on_commit_callbacks):
    cat = category(workspace)
    base = f"/community/{workspace.slug}/"
    newbie = Client()
    with django_capture_on_commit_callbacks(execute=True):
        r = newbie.post(
            f"{base}join", {"handle": "newbie", "email": "newbie@mail.example", "password": MEMBER_PASSWORD}
        )
    assert r.status_code == 201 and "We sent you an email" in r.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["newbie@mail.example"]
    link = re.search(r"https?://\S+(/community/\S+/verify/\S+)", mail.body).group(1)
    ask = {"category": cat.slug, "title": "Where is the SIM tray?", "body": "Cannot find it."}
    refused = newbie.post(f"{base}ask", ask)  # not before the address is confirmed
    assert refused.status_code == 403 and "confirm your email" in refused.content.decode()
    assert "Please confirm your email address" in newbie.get(base).content.decode()
    assert "is confirmed" in newbie.get(link).content.decode()
    assert newbie.get(link).status_code == 400  # once
    r = newbie.post(f"{base}ask", ask)
    assert r.status_code == 302
    qurl = r["Location"]
    member(workspace, "kohlmark")
    expert = _signed_in(workspace, "kohlmark@mail.example")
    expert.post(f"{qurl}answer", {"body": "On the right side."})
    page = newbie.get(qurl).content.decode()
    assert "On the right side." in page and "Accept this answer" in page
    aid = int(re.search(r"/a/(\d+)/accept", page).group(1))
    assert expert.post(f"{base}a/{aid}/helpful").status_code == 403  # own answer
    assert expert.post(f"{base}a/{aid}/accept").status_code == 403  # not the asker
    assert newbie.post(f"{base}a/{aid}/helpful").status_code == 302
    assert newbie.post(f"{base}a/{aid}/accept").status_code == 302
    page = Client().get(qurl).content.decode()
    assert "Accepted answer" in page and "1 found this helpful" in page
    kohlmark = CommunityMember.objects.get(workspace=workspace, handle="kohlmark")
    assert services.score(kohlmark) == services.ACCEPTED_POINTS + services.HELPFUL_POINTS
    bad = newbie.post(f"{base}ask", {"category": cat.slug, "title": "short", "body": ""})
    assert bad.status_code == 422 and "Title:" in bad.content.decode()


def test_anonymous_visitors_cannot_post(client, workspace, community):
    base = f"/community/{workspace.slug}/"
    assert client.post(f"{base}q/{community['question'].pk}/answer", {"body": "spam"})["Location"].endswith("/signin")
    assert client.post(f"{base}a/{community['answer'].pk}/helpful")["Location"].endswith("/signin")
    assert community["question"].answers.count() == 1


def test_posts_need_the_csrf_token(workspace):
    category(workspace)
    c = Client(enforce_csrf_checks=True)
    r = c.post(f"/community/{workspace.slug}/join", {"handle": "x1x", "email": "x@mail.example", "password": "p" * 12})
    assert r.status_code == 403
    page = c.get(f"/community/{workspace.slug}/join").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = c.post(
        f"/community/{workspace.slug}/join",
        {"handle": "x1x", "email": "x@mail.example", "password": "p" * 12, "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 201


def test_sign_in_is_rate_limited_and_a_member_of_one_workspace_is_not_signed_in_elsewhere(workspace, other_workspace):
    member(workspace, "kohlmark")
    c = Client()
    for _ in range(10):
        r = c.post(f"/community/{workspace.slug}/signin", {"email": "kohlmark@mail.example", "password": "wrong-one!"})
        assert r.status_code == 401
    r = c.post(f"/community/{workspace.slug}/signin", {"email": "kohlmark@mail.example", "password": MEMBER_PASSWORD})
    assert r.status_code == 429
    cache.clear()  # the next minute
    ok = _signed_in(workspace, "kohlmark@mail.example")
    assert ok.get(f"/community/{workspace.slug}/ask").status_code == 200
    category(other_workspace)
    assert ok.get(f"/community/{other_workspace.slug}/ask")["Location"].endswith("/signin")


def test_nul_bytes_in_the_public_forms_get_a_field_error_not_a_server_error(workspace):
    """PostgreSQL refuses NUL in text: every public form answers 4xx naming the field, and nothing is stored."""
    cat = category(workspace)
    asker = member(workspace, "asker")
    q = services.ask(author=asker, category=cat, title="Phone will not charge", body="It stopped.")
    base = f"/community/{workspace.slug}/"
    anonymous = Client(raise_request_exception=False)
    assert anonymous.get(f"{base}search", {"q": "charge\x00 phone"}).status_code == 200
    assert "Phone will not charge" in anonymous.get(f"{base}search", {"q": "charge\x00phone"}).content.decode()
    r = anonymous.post(f"{base}signin", {"email": "asker@mail.example\x00", "password": MEMBER_PASSWORD})
    assert r.status_code == 401
    for handle, email, error in (
        ("nul\x00x", "n@mail.example", "3 to 40 letters"),
        ("good_one", "good\x00@mail.example", "an email address"),
    ):
        r = anonymous.post(f"{base}join", {"handle": handle, "email": email, "password": "p" * 12})
        assert r.status_code == 422 and error in r.content.decode()
    assert CommunityMember.objects.filter(workspace=workspace).count() == 1
    me = _signed_in(workspace, "asker@mail.example")
    me.raise_request_exception = False
    for form, label in (
        ({"category": cat.slug, "title": "A title with a \x00 byte", "body": "fine"}, "Title: must not contain"),
        ({"category": cat.slug, "title": "A fine title here", "body": "bad \x00"}, "Details: must not contain"),
        ({"category": cat.slug, "title": "A fine title here", "body": "ok", "tags": "a\x00,b"}, "Tags: must not"),
        ({"category": "\x00", "title": "A fine title here", "body": "ok"}, "choose a category"),
    ):
        r = me.post(f"{base}ask", form)
        assert r.status_code == 422 and label in r.content.decode(), form
    r = me.post(f"{base}q/{q.pk}/answer", {"body": "an answer \x00"})
    assert r.status_code == 422 and "Your answer: must not contain control characters" in r.content.decode()
    assert q.answers.count() == 0 and services.visible_questions(workspace).count() == 1
