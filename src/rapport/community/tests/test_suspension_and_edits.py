"""Moderators suspend members (reason, end date, audited); members edit their posts and the history is kept."""

import json
from datetime import timedelta

import pytest
from conftest import ApiClient, login
from django.test import Client
from django.utils import timezone

from rapport.community import edits, moderation, services
from rapport.community.models import PostEdit, Suspension
from rapport.community.tests.helpers import MEMBER_PASSWORD, category, established
from rapport.core.errors import FieldErrors
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _signed_in(workspace, handle) -> Client:
    c = Client()
    r = c.post(f"/community/{workspace.slug}/signin", {"email": f"{handle}@mail.example", "password": MEMBER_PASSWORD})
    assert r.status_code == 302
    return c


def test_a_suspended_member_cannot_post_answer_vote_accept_or_report_until_it_ends(workspace, admin):
    cat = category(workspace)
    asker, troll, helper = (established(workspace, h, cat) for h in ("asker", "troll", "helper"))
    q = services.ask(author=asker, category=cat, title="Which SIM size fits?", body="?")
    a = services.answer(question=q, author=helper, body="The nano one.")
    own = services.ask(author=troll, category=cat, title="My own question here", body="?")
    answer_to_own = services.answer(question=own, author=helper, body="Yes, that one.")
    now = timezone.now()
    moderation.suspend(member=troll, user=admin.user, reason="insults in three threads", until=now + timedelta(days=7))
    troll.refresh_from_db()
    for attempt in (
        lambda: services.ask(author=troll, category=cat, title="Another question here", body="?"),
        lambda: services.answer(question=q, author=troll, body="Nonsense."),
        lambda: services.vote_helpful(answer=a, voter=troll),
        lambda: services.accept(answer=answer_to_own, by_member=troll),
        lambda: moderation.flag(member=troll, question=q, reason="spam"),
    ):
        with pytest.raises(services.CommunityError, match="suspended until"):
            attempt()
    event = AuditEvent.objects.get(workspace=workspace, action="community.member_suspended")
    assert event.object_id == str(troll.pk) and event.after["reason"] == "insults in three threads"
    assert event.actor_user == admin.user

    # Through the public pages: signed in, reading works, the notice says why the buttons are gone, posting is 403.
    c = _signed_in(workspace, "troll")
    page = c.get(f"/community/{workspace.slug}/q/{q.pk}/").content.decode()
    assert "Your membership is suspended until" in page and "Post your answer" not in page
    assert "insults" not in page  # the reason is for moderators
    r = c.post(f"/community/{workspace.slug}/q/{q.pk}/answer", {"body": "Still here."})
    assert r.status_code == 403 and "suspended" in r.content.decode()
    r = c.post(f"/community/{workspace.slug}/ask", {"category": cat.slug, "title": "Yet another one?", "body": "x"})
    assert r.status_code == 403

    # The end date passing lifts it the next time they show up, audited as expired.
    with pytest.raises(services.CommunityError):
        services.answer(question=q, author=troll, body="Too early.")
    Suspension.objects.filter(member=troll).update(until=now - timedelta(minutes=1))
    type(troll).objects.filter(pk=troll.pk).update(suspended_until=now - timedelta(minutes=1))
    troll.refresh_from_db()
    assert "Your membership is suspended" not in c.get(f"/community/{workspace.slug}/").content.decode()
    troll.refresh_from_db()
    assert not troll.suspended and services.answer(question=q, author=troll, body="Sorry, here is help.")
    lifted = AuditEvent.objects.get(workspace=workspace, action="community.member_unsuspended")
    assert lifted.after["note"] == "expired" and lifted.actor_user is None
    assert Suspension.objects.get(member=troll).lift_note == "expired"


def test_suspension_input_is_checked_and_a_moderator_lifts_it(workspace, admin):
    cat = category(workspace)
    m = established(workspace, "member", cat)
    with pytest.raises(FieldErrors) as e:
        moderation.suspend(member=m, user=admin.user, reason="", until=None)
    assert "reason" in e.value.errors
    with pytest.raises(FieldErrors) as e:
        moderation.suspend(member=m, user=admin.user, reason="spam", until=timezone.now() - timedelta(days=1))
    assert "until" in e.value.errors
    moderation.suspend(member=m, user=admin.user, reason="spam links")
    m.refresh_from_db()
    assert m.suspended and m.suspended_until is None
    moderation.lift(member=m, user=admin.user, note="apologised")
    m.refresh_from_db()
    assert not m.suspended and m.suspension_reason == ""
    with pytest.raises(moderation.ModerationError):
        moderation.lift(member=m, user=admin.user)
    assert Suspension.objects.get(member=m).lifted_by == admin.user


def test_the_moderation_screen_suspends_lists_and_lifts(workspace, other_workspace, member_factory):
    cat = category(workspace)
    m = established(workspace, "spammer", cat)
    url = f"/community/{workspace.slug}/moderation/"
    manager = login(member_factory(workspace, Role.COMMUNITY_MANAGER))
    assert "No member is suspended" in manager.get(url).content.decode()
    r = manager.post(f"{url}members/suspend", {"handle": "spammer", "reason": "link farm", "until": "2999-01-01"})
    assert r.status_code == 422 and "until" in r.content.decode()
    r = manager.post(f"{url}members/suspend", {"handle": "nobody", "reason": "x", "until": ""})
    assert r.status_code == 422 and "handle" in r.content.decode()
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert (
        manager.post(f"{url}members/suspend", {"handle": "spammer", "reason": "link farm", "until": day}).status_code
        == 302
    )
    html = manager.get(url).content.decode()
    assert "spammer" in html and "link farm" in html and day in html
    assert login(member_factory(workspace, Role.AGENT)).post(f"{url}members/{m.pk}/lift").status_code == 403
    assert login(member_factory(other_workspace, Role.ADMIN)).post(f"{url}members/{m.pk}/lift").status_code == 404
    assert manager.post(f"{url}members/{m.pk}/lift").status_code == 302
    m.refresh_from_db()
    assert not m.suspended
    assert manager.post(f"{url}members/{m.pk}/lift").status_code == 409


def test_the_suspension_api(api, api_factory, workspace, other_workspace):
    cat = category(workspace)
    m = established(workspace, "spammer", cat)
    until = (timezone.now() + timedelta(days=2)).isoformat()
    r = api.post(f"/community/members/{m.pk}/suspension", {"reason": "spam", "until": until})
    assert r.status_code == 200 and r.json()["suspended"] and r.json()["reason"] == "spam"
    assert [i["name"] for i in api.get("/community/suspensions").json()["items"]] == ["spammer"]
    bad = api.post(f"/community/members/{m.pk}/suspension", {"reason": "x\x00y"})
    assert bad.status_code == 422 and "reason" in json.dumps(bad.json())
    assert ApiClient(None).get("/community/suspensions").status_code == 401
    assert (
        api_factory(workspace, Role.AGENT).post(f"/community/members/{m.pk}/suspension", {"reason": "x"}).status_code
        == 403
    )
    assert api_factory(other_workspace, Role.ADMIN).delete(f"/community/members/{m.pk}/suspension").status_code == 404
    assert api.delete(f"/community/members/{m.pk}/suspension").json()["suspended"] is False
    assert api.delete(f"/community/members/{m.pk}/suspension").status_code == 422


def test_members_edit_their_own_posts_and_moderators_read_the_history(workspace, admin, member_factory):
    cat = category(workspace)
    asker, other = established(workspace, "asker", cat), established(workspace, "other", cat)
    q = services.ask(author=asker, category=cat, title="Router light blinks", body="orange since today")
    a = services.answer(question=q, author=other, body="Restart it.")
    with pytest.raises(edits.EditError):
        edits.edit(post=q, member=other, body="hijacked")
    with pytest.raises(FieldErrors) as e:
        edits.edit(post=q, member=asker, body="x", title="short")
    assert "title" in e.value.errors
    with pytest.raises(FieldErrors) as e:
        edits.edit(post=a, member=other, body="see https://spam.example")  # not yet trusted with links
    assert "body" in e.value.errors
    assert edits.edit(post=q, member=asker, body="orange since today", title="Router light blinks") is None

    c = _signed_in(workspace, "asker")
    r = c.post(f"/community/{workspace.slug}/q/{q.pk}/edit", {"title": "Router light blinks orange", "body": "zebu"})
    assert r.status_code == 302
    q.refresh_from_db()
    assert q.title == "Router light blinks orange" and q.edited_at is not None
    assert [x.title for x in services.search(workspace, "zebu")] == ["Router light blinks orange"]
    assert services.search(workspace, "today") == []  # the index follows the new text
    assert c.post(f"/community/{workspace.slug}/a/{a.pk}/edit", {"body": "mine now"}).status_code == 404
    page = Client().get(f"/community/{workspace.slug}/q/{q.pk}/").content.decode()
    assert "edited" in page and "orange since today" not in page  # the old text is not public

    (entry,) = PostEdit.objects.filter(question=q)
    assert (entry.body_before, entry.body_after, entry.editor) == ("orange since today", "zebu", asker)
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    manager = login(member_factory(workspace, Role.COMMUNITY_MANAGER))
    html = manager.get(f"/community/{workspace.slug}/moderation/question/{q.pk}/history").content.decode()
    assert "orange since today" in html and "zebu" in html and "asker" in html
    assert (
        login(member_factory(workspace, Role.AGENT))
        .get(f"/community/{workspace.slug}/moderation/question/{q.pk}/history")
        .status_code
        == 403
    )
    assert Client().get(f"/community/{workspace.slug}/moderation/question/{q.pk}/history").status_code == 302
    # A moderator's edit is audited and in the same history.
    edits.edit(post=a, user=admin.user, body="Restart it (edited by a moderator).")
    assert AuditEvent.objects.filter(workspace=workspace, action="community.post_edited").count() == 1


def test_the_edit_history_api(api, api_factory, workspace, other_workspace):
    cat = category(workspace)
    asker = established(workspace, "asker", cat)
    q = services.ask(author=asker, category=cat, title="Router light blinks", body="orange")
    edits.edit(post=q, member=asker, body="red now")
    r = api.get(f"/community/moderation/question/{q.pk}/edits")
    assert r.status_code == 200
    (item,) = r.json()["items"]
    assert (item["body_before"], item["body_after"], item["editor"]) == ("orange", "red now", "asker")
    assert api_factory(workspace, Role.AGENT).get(f"/community/moderation/question/{q.pk}/edits").status_code == 403
    assert (
        api_factory(other_workspace, Role.ADMIN).get(f"/community/moderation/question/{q.pk}/edits").status_code == 404
    )


def test_erasure_blanks_the_edit_history(workspace):
    from rapport.community import subject as community_subject
    from rapport.consent.subject import Subject

    cat = category(workspace)
    asker = established(workspace, "asker", cat)
    q = services.ask(author=asker, category=cat, title="Router light blinks", body="my address is Elm St 5")
    edits.edit(post=q, member=asker, body="removed")
    community_subject._erase(Subject(workspace_id=workspace.pk, person_ids=[asker.person_id]))
    entry = PostEdit.objects.get(question=q)
    assert "Elm" not in entry.body_before and entry.body_before == community_subject.ERASED
