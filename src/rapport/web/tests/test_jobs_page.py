"""The background jobs page: admins see each job's last and next run and its last error; other roles get 403."""

import pytest
from conftest import PASSWORD
from django.test import Client

from rapport.core import jobs
from rapport.core.models import Role, ScheduledJob

pytestmark = pytest.mark.django_db


def login(member) -> Client:
    client = Client()
    assert client.login(email=member.user.email, password=PASSWORD)
    return client


def test_admin_sees_the_jobs_with_their_last_error(workspace, member_factory):
    jobs.run_now("care.sla_tick")
    ScheduledJob.objects.filter(name="channels.poll").update(failures=2, last_error="ConnectError: feed unreachable")
    page = login(member_factory(workspace, Role.ADMIN)).get("/jobs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "care.sla_tick" in html and "channels.poll" in html
    assert "ConnectError: feed unreachable" in html
    assert 'href="/jobs/"' in html  # in the admin's navigation


def test_agent_gets_403_and_no_link(workspace, member_factory):
    agent = login(member_factory(workspace, Role.AGENT))
    assert agent.get("/jobs/").status_code == 403
    inbox = agent.get("/inbox/")
    assert inbox.status_code == 200 and 'href="/jobs/"' not in inbox.content.decode()
