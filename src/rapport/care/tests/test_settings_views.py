"""Care's settings pages: teams, skills and languages, routing tester, SLA policies with business hours, canned replies.

Each is admin-only (other roles 403), scoped to the workspace (another workspace's row 404), audited, and answers
bad input with a 400 naming the field."""

import pytest
from conftest import login

from rapport.care.models import AgentProfile, CannedReply, SLAPolicy, Team
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(workspace, member_factory):
    return member_factory(workspace, Role.AGENT)


PAGES = [
    "/settings/teams/",
    "/settings/teams/new/",
    "/settings/agents/",
    "/settings/routing/",
    "/settings/sla/",
    "/settings/sla/new/",
    "/settings/canned/",
    "/settings/canned/new/",
]


@pytest.mark.parametrize("role", [Role.AGENT, Role.MARKETER, Role.COMMUNITY_MANAGER, Role.DPO])
def test_other_roles_are_refused(workspace, member_factory, role):
    client = login(member_factory(workspace, role))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/settings/teams/new/", {"name": "Sneaky", "strategy": "manual"}).status_code == 403
    assert client.post("/settings/canned/preview/", {"text": "hi"}).status_code == 403
    assert not Team.objects.exists()


def test_admin_opens_every_page(admin_client):
    for url in PAGES:
        assert admin_client.get(url).status_code == 200, url


def test_team_create_edit_members_and_audit(admin_client, workspace, agent):
    response = admin_client.post(
        "/settings/teams/new/",
        {
            "name": "Nordic",
            "languages": "da, sv no",
            "networks": "twitter,email",
            "strategy": "round_robin",
            "members": [agent.user_id],
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(workspace=workspace, name="Nordic")
    assert team.languages == ["da", "sv", "no"] and team.networks == ["twitter", "email"]
    assert list(AgentProfile.objects.get(user=agent.user).teams.all()) == [team]
    assert AuditEvent.objects.filter(action="team.created", object_id=str(team.pk)).exists()
    assert AuditEvent.objects.get(action="team.members_changed").after == {"members": [agent.user_id]}

    admin_client.post(
        f"/settings/teams/{team.pk}/", {"name": "Nordic care", "languages": "da", "networks": "", "strategy": "manual"}
    )
    team.refresh_from_db()
    assert (team.name, team.languages, team.networks, team.strategy) == ("Nordic care", ["da"], [], "manual")
    assert not AgentProfile.objects.get(user=agent.user).teams.exists()  # unticked: out of the team
    updated = AuditEvent.objects.get(action="team.updated")
    assert updated.before["name"] == "Nordic" and updated.after["name"] == "Nordic care"
    assert "Nordic care" in admin_client.get("/settings/teams/").content.decode()


def test_the_generic_edit_pages_link_back_offer_delete_and_show_history(admin_client, workspace, agent):
    team = Team.objects.create(workspace=workspace, name="Nordic")
    html = admin_client.get(f"/settings/teams/{team.pk}/").content.decode()
    assert '<a href="/settings/teams/">← Teams</a>' in html and "<h1>Nordic</h1>" in html
    assert f'action="/settings/teams/{team.pk}/delete/"' in html and "Its conversations stay" in html
    new = admin_client.get("/settings/teams/new/").content.decode()
    assert "<h1>New team</h1>" in new and "/delete/" not in new
    html = admin_client.get(f"/settings/agents/{agent.user_id}/").content.decode()
    assert '<a href="/settings/agents/">← Skills and languages</a>' in html and "Routing prefers agents" in html
    assert "/delete/" not in html


def test_team_bad_input_names_the_field(admin_client, workspace):
    Team.objects.create(workspace=workspace, name="Service")
    response = admin_client.post(
        "/settings/teams/new/", {"name": "service", "languages": "english", "networks": "telegraph", "strategy": "x"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("name", "languages", "networks", "strategy"):
        assert f'id="error-{field}"' in html, field
    assert "another team is called" in html and "&#x27;english&#x27;" in html
    assert Team.objects.count() == 1


@pytest.mark.parametrize("bad", ["9" * 30, "²", "-1"])
def test_ticked_rows_that_are_no_ids_name_the_field(admin_client, workspace, agent, bad):
    """A team's agents and an agent's teams are ticked by id: a number past BIGINT was an OverflowError on SQLite."""
    team = Team.objects.create(workspace=workspace, name="Service")
    response = admin_client.post(
        "/settings/teams/new/", {"name": "Social", "strategy": "round_robin", "members": [bad]}
    )
    assert response.status_code == 400 and 'id="error-members"' in response.content.decode()
    assert not Team.objects.filter(name="Social").exists()
    url = f"/settings/agents/{agent.user_id}/"
    response = admin_client.post(url, {"capacity": "4", "status": "online", "teams": [str(team.pk), bad]})
    assert response.status_code == 400 and 'id="error-teams"' in response.content.decode()
    assert not AgentProfile.objects.filter(user=agent.user).exists()


def test_other_workspaces_rows_are_404(admin_client, other_workspace, member_factory):
    team = Team.objects.create(workspace=other_workspace, name="Theirs")
    policy = SLAPolicy.objects.create(workspace=other_workspace, name="Theirs", first_response_minutes=60)
    canned = CannedReply.objects.create(workspace=other_workspace, name="Theirs", text="Hi")
    stranger = member_factory(other_workspace, Role.AGENT)
    for url in (
        f"/settings/teams/{team.pk}/",
        f"/settings/sla/{policy.pk}/",
        f"/settings/canned/{canned.pk}/",
        f"/settings/agents/{stranger.user_id}/",
    ):
        assert admin_client.get(url).status_code == 404, url
        assert admin_client.post(url, {"name": "Hijacked"}).status_code == 404, url
    for url in (
        f"/settings/teams/{team.pk}/delete/",
        f"/settings/sla/{policy.pk}/delete/",
        f"/settings/canned/{canned.pk}/delete/",
    ):
        assert admin_client.post(url).status_code == 404, url
    assert Team.objects.get(pk=team.pk).name == "Theirs" and CannedReply.objects.filter(pk=canned.pk).exists()


def test_agent_skills_and_languages(admin_client, workspace, agent):
    team = Team.objects.create(workspace=workspace, name="Service")
    url = f"/settings/agents/{agent.user_id}/"
    bad = admin_client.post(url, {"languages": "klingon", "capacity": "0", "status": "online"})
    assert bad.status_code == 400
    assert 'id="error-languages"' in bad.content.decode() and 'id="error-capacity"' in bad.content.decode()
    ok = admin_client.post(
        url,
        {"languages": "en, de", "products": "baggage, refunds", "capacity": "4", "status": "away", "teams": [team.pk]},
    )
    assert ok.status_code == 302
    profile = AgentProfile.objects.get(workspace=workspace, user=agent.user)
    assert (profile.languages, profile.products, profile.capacity, profile.status) == (
        ["en", "de"],
        ["baggage", "refunds"],
        4,
        "away",
    )
    assert list(profile.teams.all()) == [team]
    assert AuditEvent.objects.filter(action="agent_profile.created", object_id=str(profile.pk)).exists()


def test_routing_tester_shows_team_agent_and_sla(admin_client, workspace, agent):
    catch_all = Team.objects.create(workspace=workspace, name="Everyone")
    nordic = Team.objects.create(workspace=workspace, name="Nordic", languages=["da"])
    AgentProfile.objects.create(workspace=workspace, user=agent.user, capacity=3).teams.add(nordic)
    SLAPolicy.objects.create(workspace=workspace, name="Social hour", channels=["twitter"], first_response_minutes=60)
    html = admin_client.get("/settings/routing/", {"language": "da", "network": "twitter", "priority": "high"}).content
    html = html.decode()
    assert '<strong id="route-team">Nordic</strong>' in html and agent.user.email in html
    assert '<strong id="route-sla">Social hour</strong>' in html and "first response due" in html
    html = admin_client.get("/settings/routing/", {"language": "en", "network": "email", "priority": "low"}).content
    assert f'<strong id="route-team">{catch_all.name}</strong>' in html.decode()
    assert "No SLA policy matches" in html.decode()
    nordic.refresh_from_db()
    assert nordic.last_assigned_user_id is None  # trying routes assigns nothing
    assert admin_client.get("/settings/routing/", {"language": "xx", "network": "email"}).status_code == 400


def sla_form(**overrides):
    data = {
        "name": "Social first reply",
        "position": "10",
        "channels": "twitter, facebook",
        "priorities": ["urgent"],
        "tiers": "",
        "first_response_minutes": "60",
        "warn_before_minutes": "15",
        "active": "on",
        "tz": "Europe/Copenhagen",
        "holidays": "2026-12-24\n2026-12-25",
    }
    for day in range(5):
        data[f"open_{day}"], data[f"close_{day}"] = "09:00", "17:00"
    data.update(overrides)
    return data


def test_sla_policy_with_business_hours(admin_client, workspace):
    assert admin_client.post("/settings/sla/new/", sla_form()).status_code == 302
    policy = SLAPolicy.objects.get(workspace=workspace)
    assert policy.channels == ["twitter", "facebook"] and policy.priorities == ["urgent"]
    assert policy.first_response_minutes == 60 and policy.active
    assert policy.calendar == {
        "tz": "Europe/Copenhagen",
        "hours": {str(d): ["09:00", "17:00"] for d in range(5)},
        "holidays": ["2026-12-24", "2026-12-25"],
    }
    listing = admin_client.get("/settings/sla/").content.decode()
    assert "Mon-Fri 09:00-17:00 (Europe/Copenhagen)" in listing
    edit_page = admin_client.get(f"/settings/sla/{policy.pk}/").content.decode()
    assert 'name="open_0" id="id_open_0" value="09:00"' in edit_page and 'value="Europe/Copenhagen"' in edit_page

    # Around the clock once every day is emptied; audited with before and after.
    cleared = sla_form(**{f"open_{d}": "" for d in range(5)}, **{f"close_{d}": "" for d in range(5)})
    assert admin_client.post(f"/settings/sla/{policy.pk}/", cleared).status_code == 302
    policy.refresh_from_db()
    assert policy.calendar == {}
    event = AuditEvent.objects.get(action="sla_policy.updated", object_id=str(policy.pk))
    assert event.before["calendar"]["tz"] == "Europe/Copenhagen" and event.after["calendar"] == {}
    history = admin_client.get(f"/settings/sla/{policy.pk}/").content.decode()
    assert "<code>sla_policy.updated</code>" in history and "<code>sla_policy.created</code>" in history


def test_sla_bad_input_names_the_field(admin_client):
    response = admin_client.post(
        "/settings/sla/new/",
        sla_form(
            first_response_minutes="",
            tz="Mars/Olympus",
            holidays="2026-02-30",
            close_0="08:00",
            open_1="",
            priorities=["someday"],
            channels="pigeon",
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "set at least one target" in html
    assert "&#x27;Mars/Olympus&#x27; is not a time zone" in html
    assert "&#x27;2026-02-30&#x27; is not a date" in html
    assert "Monday closes: Monday must close after it opens" in html
    assert "Tuesday opens: Tuesday needs both an opening and a closing time" in html
    assert 'id="error-priorities"' in html and 'id="error-channels"' in html
    assert not SLAPolicy.objects.exists()


@pytest.mark.parametrize("tz", ["Europe", "America", "x" * 300])
def test_sla_time_zone_that_is_a_folder_or_too_long_names_the_field(admin_client, tz):
    """The zone database opens a file by the name: a folder (Europe) or an overlong name raised OSError, a 500."""
    response = admin_client.post("/settings/sla/new/", sla_form(tz=tz))
    assert response.status_code == 400
    assert 'id="error-tz"' in response.content.decode()
    assert not SLAPolicy.objects.exists()


def test_canned_reply_create_preview_and_offered_in_inbox(admin_client, workspace):
    preview = admin_client.post("/settings/canned/preview/", {"text": "Hi {{first_name}}, this is {{brand}}."})
    assert preview.status_code == 200 and "Hi Hanne, this is Acme." in preview.content.decode()  # a sample customer
    unknown = admin_client.post("/settings/canned/preview/", {"text": "Hi {{firstname}}"}).content.decode()
    assert "unknown variable {{firstname}}" in unknown

    assert (
        admin_client.post(
            "/settings/canned/new/", {"name": "Welcome", "text": "Hi {{first_name}}, welcome to {{brand}}."}
        ).status_code
        == 302
    )
    reply = CannedReply.objects.get(workspace=workspace)
    assert reply.team is None
    assert AuditEvent.objects.filter(action="canned_reply.created", object_id=str(reply.pk)).exists()

    bad = admin_client.post("/settings/canned/new/", {"name": "welcome", "text": "Dear {{customer}}"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'id="error-name"' in html and "unknown variable {{customer}}" in html
    assert CannedReply.objects.count() == 1

    admin_client.post(f"/settings/canned/{reply.pk}/", {"name": "Welcome", "text": "Hello {{name}}!"})
    reply.refresh_from_db()
    assert reply.text == "Hello {{name}}!"
    assert AuditEvent.objects.get(action="canned_reply.updated").before["text"].startswith("Hi {{first_name}}")
    admin_client.post(f"/settings/canned/{reply.pk}/delete/")
    assert not CannedReply.objects.exists()
    assert AuditEvent.objects.filter(action="canned_reply.deleted").exists()


def test_preview_reads_as_in_the_newest_conversation(admin_client, workspace):
    from django.utils import timezone

    from rapport.care.models import Conversation
    from rapport.care.tests.helpers import person

    ana = person(workspace, "Ana", "Lopez", handle="analopez")
    Conversation.objects.create(workspace=workspace, person=ana, channel="twitter", last_inbound_at=timezone.now())
    html = admin_client.post("/settings/canned/preview/", {"text": "Hi {{name}}, {{agent_name}} here."}).content
    assert "Hi Ana Lopez, admin here." in html.decode() and "conversation with Ana Lopez" in html.decode()
