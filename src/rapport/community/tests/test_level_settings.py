"""Trust level thresholds and the report threshold are workspace settings: the settings hub, the API, the levels."""

import json

import pytest
from conftest import login
from django.test import Client

from rapport.community import levels, moderation, services
from rapport.community.models import CommunityMember
from rapport.community.tests.helpers import category, established, member
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _post_data(**changes) -> dict:
    data = {"flags_to_hide": "3", "moderate_first_posts": "on", "new_member_max_links": "0", "return_after_hours": "48"}
    for lv in levels.LEVELS[1:]:
        data.update({f"level{lv.number}_{d}": str(getattr(lv, d)) for d in levels.DIMENSIONS})
    return {**data, **changes}


def test_thresholds_are_checked_field_by_field():
    with pytest.raises(FieldErrors) as e:
        levels.clean_thresholds({"2": {"posts": -1, "days": "soon"}, "3": {"helpful": 1}})
    assert e.value.errors["level2_posts"] == "0 to 10,000"
    assert e.value.errors["level2_days"] == "a whole number"
    assert e.value.errors["level3_helpful"] == "at least level 2's 3 helpful votes received"
    assert levels.clean_thresholds({})["2"] == {"posts": 5, "accepted": 0, "helpful": 3, "days": 7}


def test_lower_thresholds_move_members_up_and_the_profile_shows_the_workspaces_levels(
    workspace, other_workspace, admin, django_capture_on_commit_callbacks
):
    cat = category(workspace)
    m = established(workspace, "kohlmark", cat)  # one public post: level 1 by default
    rival = established(other_workspace, "rival", category(other_workspace))
    with django_capture_on_commit_callbacks(execute=True):
        levels.update_thresholds(
            workspace=workspace,
            actor=Actor.for_user(admin.user),
            thresholds={
                "2": {"posts": 1, "helpful": 0, "days": 0},
                "3": {"posts": 50, "accepted": 5, "helpful": 25, "days": 60},
            },
        )
    assert levels.refresh_all(workspace.pk) == 1
    m.refresh_from_db()
    assert m.trust_level == 2 and m.level_name == "Member"
    rival.refresh_from_db()
    assert rival.trust_level == 1  # another workspace keeps the defaults
    page = Client().get(f"/community/{workspace.slug}/u/kohlmark/").content.decode()
    assert "50 more public posts" in page or "49 more public posts" in page
    event = AuditEvent.objects.get(workspace=workspace, action="community.levels_changed")
    assert event.before["2"]["posts"] == 5 and event.after["2"]["posts"] == 1
    # A new member's first post now lifts them straight to level 2: links allowed.
    newbie = member(workspace, "newbie")
    services.ask(author=newbie, category=cat, title="First question from me", body="hello")
    newbie.refresh_from_db()
    assert newbie.trust_level == 2


def test_the_settings_hub_section(workspace, other_workspace, member_factory, admin_client):
    assert "/settings/community/" in admin_client.get("/settings/").content.decode()
    manager = login(member_factory(workspace, Role.COMMUNITY_MANAGER))
    url = "/settings/community/"
    page = manager.get(url)
    assert page.status_code == 200 and "Level 2 (Member): helpful votes received" in page.content.decode()
    bad = manager.post(url, _post_data(level3_posts="2", flags_to_hide="0"))
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "1 to 50" in html
    assert moderation.settings_for(workspace).flags_to_hide == 3  # nothing saved
    bad = manager.post(url, _post_data(level3_posts="2"))
    assert bad.status_code == 400 and "at least level 2" in bad.content.decode()
    assert levels.table(workspace.pk)[3].posts == 20
    ok = manager.post(url, _post_data(flags_to_hide="5", level2_posts="3", moderate_first_posts=""))
    assert ok.status_code == 302
    rules = moderation.settings_for(workspace)
    assert rules.flags_to_hide == 5 and rules.moderate_first_posts is False
    assert levels.table(workspace.pk)[2].posts == 3 and levels.table(other_workspace.pk)[2].posts == 5
    assert login(member_factory(workspace, Role.AGENT)).get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_the_levels_api(api, api_factory, workspace):
    r = api.get("/community/levels")
    assert r.status_code == 200 and [i["name"] for i in r.json()["items"]] == [
        "New member",
        "Basic",
        "Member",
        "Regular",
    ]
    r = api.patch("/community/levels", {"thresholds": {"2": {"helpful": 1}}})
    assert r.status_code == 200
    two = r.json()["items"][2]
    assert (two["posts"], two["helpful"], two["days"]) == (5, 1, 7)  # left out: unchanged
    bad = api.patch("/community/levels", {"thresholds": {"3": {"days": 1}}})
    assert bad.status_code == 422 and "level3_days" in json.dumps(bad.json())
    bad = api.patch("/community/levels", {"thresholds": {"4": {"days": 1}}})
    assert bad.status_code == 422
    assert api_factory(workspace, Role.AGENT).get("/community/levels").status_code == 403
    assert CommunityMember.objects.count() == 0
