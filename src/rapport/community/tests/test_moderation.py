"""Moderation: held first posts, the link and duplicate checks, members' flags hiding a post, the moderators'
queue (page and API) with audit, and hidden content exposing nothing on any public page."""

import json
import re
from datetime import timedelta

import pytest
from conftest import ApiClient, login
from django.test import Client
from django.utils import timezone

from rapport.community import moderation, services
from rapport.community.models import CommunitySettings, Flag, Moderation, Question
from rapport.community.tests.helpers import MEMBER_PASSWORD, category, established, member, veteran
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _signed_in(workspace, handle) -> Client:
    c = Client()
    r = c.post(f"/community/{workspace.slug}/signin", {"email": f"{handle}@mail.example", "password": MEMBER_PASSWORD})
    assert r.status_code == 302
    return c


def test_a_new_members_first_post_waits_for_a_moderator_then_their_posts_go_straight_up(workspace, admin):
    cat = category(workspace, hold_first_posts=True)
    newbie = member(workspace, "newbie")
    q = services.ask(author=newbie, category=cat, title="Where is the SIM tray?", body="Cannot find it.")
    assert q.hidden and q.moderation == Moderation.PENDING and q.moderation_reason == "first post of a new member"
    assert not services.visible_questions(workspace).filter(pk=q.pk).exists()
    assert Client().get(f"/community/{workspace.slug}/q/{q.pk}/").status_code == 404
    moderation.moderate(post=q, action="approve", user=admin.user, note="looks fine")
    q.refresh_from_db()
    assert not q.hidden and q.moderation == Moderation.APPROVED
    assert Client().get(f"/community/{workspace.slug}/q/{q.pk}/").status_code == 200
    event = AuditEvent.objects.get(workspace=workspace, action="community.approve")
    assert event.object_id == str(q.pk) and event.before["moderation"] == "pending" and event.actor_user == admin.user
    second = services.ask(author=newbie, category=cat, title="And the volume buttons?", body="Which side?")
    assert not second.hidden


def test_the_public_form_tells_the_member_their_post_is_waiting(workspace):
    cat = category(workspace, hold_first_posts=True)
    member(workspace, "newbie")
    c = _signed_in(workspace, "newbie")
    r = c.post(f"/community/{workspace.slug}/ask", {"category": cat.slug, "title": "Where is the SIM?", "body": "?"})
    assert r.status_code == 202 and "waits for a moderator" in r.content.decode()
    assert Question.objects.get(workspace=workspace).hidden


def test_first_posts_go_straight_up_when_the_workspace_turns_holding_off(workspace):
    cat = category(workspace, hold_first_posts=False)
    q = services.ask(author=member(workspace, "newbie"), category=cat, title="Where is the SIM tray?", body="?")
    assert not q.hidden and q.moderation == Moderation.VISIBLE


def test_links_from_new_members_are_held_and_the_limit_is_configurable(workspace):
    cat = category(workspace)
    spammer = member(workspace, "spammer")
    a_question = services.ask(author=established(workspace, "asker", cat), category=cat, title="A question!", body="?")
    a = services.answer(question=a_question, author=spammer, body="Cheap phones at https://spam.example now")
    assert a.hidden and a.moderation == Moderation.PENDING and "1 link" in a.moderation_reason
    CommunitySettings.objects.filter(workspace=workspace).update(new_member_max_links=1)
    ok = services.answer(question=a_question, author=member(workspace, "helper"), body="See https://apple.example/kb")
    assert not ok.hidden
    two = services.answer(
        question=a_question, author=member(workspace, "other"), body="[a](https://a.example) www.b.example"
    )
    assert two.hidden and "2 links" in two.moderation_reason
    # Level 1 (one public post) is not trusted with links yet; level 2 is.
    basic = services.answer(
        question=a_question, author=established(workspace, "basic", cat), body="www.y.example and www.z.example"
    )
    assert basic.hidden
    trusted = services.answer(
        question=a_question, author=veteran(workspace, "trusted", cat), body="https://x.example www.y.example"
    )
    assert not trusted.hidden


def test_the_same_text_posted_again_within_a_week_is_held(workspace):
    cat = category(workspace)
    one, two = established(workspace, "one", cat), established(workspace, "two", cat)
    q = services.ask(author=one, category=cat, title="Battery drains fast", body="Since the update.")
    text = "Switch off Background App Refresh for the apps you do not need."
    first = services.answer(question=q, author=one, body=text)
    again = services.answer(
        question=q, author=two, body="  switch OFF background app refresh for the apps you do not need."
    )
    assert not first.hidden and again.hidden and "same text" in again.moderation_reason
    assert not services.answer(question=q, author=two, body="Thanks!").hidden  # short texts repeat innocently
    services.answer(question=q, author=two, body="Thanks!")
    later = timezone.now() + timedelta(days=8)
    assert not services.answer(question=q, author=two, body=text.upper(), now=later).hidden


def test_flags_from_distinct_members_hide_a_post_and_the_threshold_is_per_workspace(workspace, other_workspace):
    cat = category(workspace)
    author = established(workspace, "author", cat)
    q = services.ask(author=author, category=cat, title="Buy followers here", body="spam")
    flaggers = [established(workspace, f"flagger{i}", cat) for i in range(3)]
    moderation.flag(member=flaggers[0], question=q, reason="spam")
    with pytest.raises(services.CommunityError):
        moderation.flag(member=flaggers[0], question=q, reason="spam")  # one flag per member
    with pytest.raises(services.CommunityError):
        moderation.flag(member=author, question=q, reason="spam")  # not your own
    with pytest.raises(services.CommunityError):
        moderation.flag(member=member(other_workspace, "stranger"), question=q, reason="spam")
    with pytest.raises(moderation.FieldErrors) as e:
        moderation.flag(member=flaggers[1], question=q, reason="because")
    assert "reason" in e.value.errors
    with pytest.raises(moderation.FieldErrors) as e:
        moderation.flag(member=flaggers[1], question=q, reason="spam", note="x\x00")
    assert "note" in e.value.errors
    moderation.flag(member=flaggers[1], question=q, reason="offensive")
    q.refresh_from_db()
    assert not q.hidden  # 2 of 3
    moderation.flag(member=flaggers[2], question=q, reason="spam", note="same link in every category")
    q.refresh_from_db()
    assert q.hidden and q.moderation == Moderation.FLAGGED and q.moderation_reason == "3 flags from members"
    # Another workspace hides after two.
    CommunitySettings.objects.filter(workspace=workspace).update(flags_to_hide=2)
    a = services.answer(
        question=services.ask(author=author, category=cat, title="Fine question", body="?"),
        author=established(workspace, "answerer", cat),
        body="rude words",
    )
    moderation.flag(member=flaggers[0], answer=a, reason="offensive")
    moderation.flag(member=flaggers[1], answer=a, reason="offensive")
    a.refresh_from_db()
    assert a.hidden and a.moderation == Moderation.FLAGGED


def test_approving_closes_the_flags_and_they_count_again_from_zero(workspace, admin):
    cat = category(workspace)
    CommunitySettings.objects.filter(workspace=workspace).update(flags_to_hide=2)
    q = services.ask(author=established(workspace, "author", cat), category=cat, title="A fair question", body="?")
    f1, f2 = established(workspace, "flag1", cat), established(workspace, "flag2", cat)
    moderation.flag(member=f1, question=q, reason="spam")
    moderation.flag(member=f2, question=q, reason="spam")
    moderation.moderate(post=q, action="approve", user=admin.user)
    q.refresh_from_db()
    assert not q.hidden and Flag.objects.filter(question=q, resolved_at__isnull=True).count() == 0
    moderation.flag(member=f1, question=q, reason="spam")  # flagging again is allowed after a review
    q.refresh_from_db()
    assert not q.hidden
    moderation.moderate(post=q, action="delete", user=admin.user)
    with pytest.raises(moderation.ModerationError):
        moderation.moderate(post=q, action="approve", user=admin.user)
    q.refresh_from_db()
    assert q.hidden and q.moderation == Moderation.DELETED


MARKERS = ["PENDINGMARKER", "FLAGGEDMARKER", "HIDDENMARKER", "DELETEDMARKER", "HELDANSWERMARKER", "FLAGNOTEMARKER"]


def test_hidden_content_exposes_nothing_on_any_public_page(workspace, admin):
    cat = category(workspace)
    CommunitySettings.objects.filter(workspace=workspace).update(flags_to_hide=1)
    author = established(workspace, "author", cat)
    public = services.ask(author=author, category=cat, title="A public question", body="Visible body")
    pending = services.ask(
        author=member(workspace, "newbie"),
        category=cat,
        title="PENDINGMARKER title",
        body="see https://spam.example PENDINGMARKER",
    )
    flagged = services.ask(author=author, category=cat, title="FLAGGEDMARKER title", body="FLAGGEDMARKER")
    hidden = services.ask(author=author, category=cat, title="HIDDENMARKER title", body="HIDDENMARKER")
    deleted = services.answer(question=public, author=established(workspace, "ans", cat), body="DELETEDMARKER")
    held = services.answer(
        question=public, author=member(workspace, "newbie2"), body="https://x.example HELDANSWERMARKER"
    )
    flagger = established(workspace, "flagger", cat)
    moderation.flag(member=flagger, question=flagged, reason="spam", note="FLAGNOTEMARKER")
    moderation.moderate(post=hidden, action="hide", user=admin.user)
    moderation.moderate(post=deleted, action="delete", user=admin.user)
    assert pending.hidden and held.hidden
    base = f"/community/{workspace.slug}/"
    for client in (Client(), _signed_in(workspace, "flagger")):
        seen: set[str] = set()
        # Searched in lower case (search ignores case): the page repeats the query, the markers are upper case.
        todo = [base, f"{base}search?q=marker", f"{base}c/{cat.slug}/"]
        todo += [f"{base}search?q={m.lower()}" for m in MARKERS]
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            r = client.get(url)
            if r.status_code == 302:
                continue
            assert r.status_code == 200, url
            html = r.content.decode()
            for m in MARKERS:
                assert m not in html, (url, m)
            todo += [u for u in re.findall(r'href="(/community/[^"]+)"', html) if "/signout" not in u]
        assert f"{base}q/{public.pk}/" in seen
        for q in (pending, flagged, hidden):
            assert client.get(f"{base}q/{q.pk}/").status_code == 404
        page = client.get(f"{base}q/{public.pk}/").content.decode()
        assert "0 answers" in page
        category_page = client.get(f"{base}c/{cat.slug}/").content.decode()
        assert "A public question" in category_page
    # Held, hidden and deleted answers cannot be voted on, accepted or flagged either.
    voter = _signed_in(workspace, "flagger")
    for a in (deleted, held):
        assert voter.post(f"{base}a/{a.pk}/helpful").status_code == 404
        assert voter.post(f"{base}a/{a.pk}/flag", {"reason": "spam"}).status_code == 404
    assert voter.post(f"{base}q/{flagged.pk}/flag", {"reason": "spam"}).status_code == 404


def test_members_flag_through_the_public_page_with_field_errors(workspace):
    cat = category(workspace)
    q = services.ask(author=established(workspace, "author", cat), category=cat, title="A public question", body="?")
    base = f"/community/{workspace.slug}/"
    assert Client().post(f"{base}q/{q.pk}/flag", {"reason": "spam"})["Location"].endswith("/signin")
    member(workspace, "newbie")
    newbie = _signed_in(workspace, "newbie")
    assert "Report this question" not in newbie.get(f"{base}q/{q.pk}/").content.decode()
    r = newbie.post(f"{base}q/{q.pk}/flag", {"reason": "spam"})
    assert r.status_code == 403 and "Basic level" in r.content.decode()  # level 0 may not report yet
    established(workspace, "reader", cat)
    c = _signed_in(workspace, "reader")
    assert "Report this question" in c.get(f"{base}q/{q.pk}/").content.decode()
    r = c.post(f"{base}q/{q.pk}/flag", {"reason": "nonsense"})
    assert r.status_code == 422 and "(reason)" in r.content.decode()
    r = c.post(f"{base}q/{q.pk}/flag", {"reason": "spam", "note": "bad \x00"})
    assert r.status_code == 422 and "(note)" in r.content.decode()
    r = c.post(f"{base}q/{q.pk}/flag", {"reason": "spam", "note": "x" * 301})
    assert r.status_code == 422 and "(note)" in r.content.decode()
    r = c.post(f"{base}q/{q.pk}/flag", {"reason": "spam", "note": "links everywhere"})
    assert r.status_code == 200
    assert Flag.objects.get(question=q).note == "links everywhere"
    assert c.post(f"{base}q/{q.pk}/flag", {"reason": "spam"}).status_code == 403  # once


def test_the_queue_page_is_for_moderators_of_this_workspace(workspace, other_workspace, member_factory):
    cat = category(workspace, hold_first_posts=True)
    q = services.ask(author=member(workspace, "newbie"), category=cat, title="Where is the SIM tray?", body="**?**")
    url = f"/community/{workspace.slug}/moderation/"
    assert Client().get(url).status_code == 302  # to the staff sign-in
    manager = login(member_factory(workspace, Role.COMMUNITY_MANAGER))
    page = manager.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Where is the SIM tray?" in html and "first post of a new member" in html and "<strong>?</strong>" in html
    assert login(member_factory(workspace, Role.AGENT)).get(url).status_code == 403
    outsider = login(member_factory(other_workspace, Role.ADMIN))
    assert outsider.get(url).status_code == 404
    assert outsider.post(f"{url}question/{q.pk}", {"action": "approve"}).status_code == 404
    bad = manager.post(f"{url}question/{q.pk}", {"action": "publish"})
    assert bad.status_code == 422 and "action" in bad.content.decode()
    assert manager.post(f"{url}question/{q.pk}", {"action": "approve", "note": "ok"}).status_code == 302
    q.refresh_from_db()
    assert not q.hidden
    assert "Nothing is waiting" in manager.get(url).content.decode()
    r = manager.post(url, {"flags_to_hide": "0", "new_member_max_links": "2"})
    assert r.status_code == 422 and "Reports: 1 to 50" in r.content.decode()
    r = manager.post(url, {"flags_to_hide": "5", "new_member_max_links": "2"})
    assert r.status_code == 302
    rules = moderation.settings_for(workspace)
    assert (rules.flags_to_hide, rules.moderate_first_posts, rules.new_member_max_links) == (5, False, 2)
    assert AuditEvent.objects.filter(workspace=workspace, action="community.settings_changed").count() == 1


def test_the_moderation_api(api, api_factory, workspace, other_workspace):
    cat = category(workspace)
    CommunitySettings.objects.filter(workspace=workspace).update(flags_to_hide=1)
    q = services.ask(author=established(workspace, "author", cat), category=cat, title="Buy followers", body="spam")
    moderation.flag(member=established(workspace, "flagger", cat), question=q, reason="spam", note="obvious")
    r = api.get("/community/moderation")
    assert r.status_code == 200
    (item,) = r.json()["items"]
    assert item["kind"] == "question" and item["id"] == q.pk and item["state"] == "flagged"
    assert item["flags"] == [
        {"member": "flagger", "reason": "spam", "note": "obvious", "created_at": item["flags"][0]["created_at"]}
    ]
    assert "email" not in json.dumps(item)
    assert ApiClient(None).get("/community/moderation").status_code == 401
    assert api_factory(workspace, Role.AGENT).get("/community/moderation").status_code == 403
    assert (
        api_factory(workspace, Role.MARKETER)
        .post(f"/community/moderation/question/{q.pk}", {"action": "hide"})
        .status_code
        == 403
    )
    other = api_factory(other_workspace, Role.ADMIN)
    assert other.get("/community/moderation").json()["items"] == []
    assert other.post(f"/community/moderation/question/{q.pk}", {"action": "approve"}).status_code == 404
    bad = api.post(f"/community/moderation/question/{q.pk}", {"action": "publish"})
    assert bad.status_code == 422 and "action" in json.dumps(bad.json())
    bad = api.post(f"/community/moderation/question/{q.pk}", {"action": "hide", "note": "a\x00"})
    assert bad.status_code == 422 and "note" in json.dumps(bad.json())
    bad = api.post(f"/community/moderation/question/{q.pk}", {"action": "hide", "note": "\ud800"})
    assert bad.status_code == 422 and "note" in json.dumps(bad.json())
    assert api.post(f"/community/moderation/poll/{q.pk}", {"action": "hide"}).status_code == 422
    r = api.post(f"/community/moderation/question/{q.pk}", {"action": "delete", "note": "spam"})
    assert r.status_code == 200 and r.json()["state"] == "deleted"
    again = api.post(f"/community/moderation/question/{q.pk}", {"action": "approve"})
    assert again.status_code == 422 and "action" in json.dumps(again.json())
    assert api.get("/community/moderation").json()["items"] == []
    put = api.patch("/community/moderation/settings", {"flags_to_hide": 0})
    assert put.status_code == 422 and "flags_to_hide" in json.dumps(put.json())
    put = api.patch("/community/moderation/settings", {"return_after_hours": 99999})
    assert put.status_code == 422 and "return_after_hours" in json.dumps(put.json())
    put = api.patch("/community/moderation/settings", {"flags_to_hide": 4, "moderate_first_posts": False})
    assert put.status_code == 200 and put.json()["flags_to_hide"] == 4
    put = api.patch("/community/moderation/settings", {"new_member_max_links": 1, "return_after_hours": 12})
    assert put.status_code == 200
    assert api.get("/community/moderation/settings").json() == {
        "flags_to_hide": 4,
        "moderate_first_posts": False,
        "new_member_max_links": 1,
        "return_after_hours": 12,
    }
    assert api_factory(workspace, Role.AGENT).patch("/community/moderation/settings", {}).status_code == 403
    assert ApiClient(None).patch("/community/moderation/settings", {}).status_code == 401


def test_lone_surrogates_and_overlong_text_get_field_errors(workspace):
    cat = category(workspace)
    m = established(workspace, "writer", cat)
    for kwargs, name in (
        ({"title": "A title \ud800 broken", "body": "fine"}, "title"),
        ({"title": "A fine title here", "body": "bad \udfff"}, "body"),
        ({"title": "A fine title here", "body": "x" * 10_001}, "body"),
    ):
        with pytest.raises(moderation.FieldErrors) as e:
            services.ask(author=m, category=cat, **kwargs)
        assert name in e.value.errors
