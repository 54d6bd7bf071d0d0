"""The periodic tick checks SLAs and retries due replies."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from rapport.care import tasks
from rapport.care.models import Conversation
from rapport.care.tests.helpers import brand, ingest, post, social_policy

pytestmark = pytest.mark.django_db


def test_tick_reports_breaches_once(workspace, django_capture_on_commit_callbacks, capsys):
    brand(workspace)
    social_policy(workspace, first=60, resolution=None)
    t0 = datetime.now(tz=UTC) - timedelta(hours=3)
    ingest(
        workspace, [post("@acmeair where is my refund?", handle="x", created_at=t0)], django_capture_on_commit_callbacks
    )
    assert Conversation.objects.count() == 1
    assert tasks.tick() == {"warnings": 0, "breaches": 1, "replies_sent": 0, "replies_failed": 0}
    call_command("care", "tick")
    assert '"breaches": 0' in capsys.readouterr().out


def test_the_tick_is_the_scheduled_job_care_sla_tick(workspace):
    from rapport.core import jobs

    job = jobs.get_job("care.sla_tick")
    assert (job.every, job.retries) == (30, 3)
    assert jobs.run_now("care.sla_tick") == {"warnings": 0, "breaches": 0, "replies_sent": 0, "replies_failed": 0}
