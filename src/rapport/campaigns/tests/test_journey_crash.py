"""A real process walking journeys is killed (SIGKILL) just after the mail server took a message, before anything
was recorded; the next run, once the lease has passed, converges: every step is given once, and the message that may
have gone is never sent again."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.fakes.smtp import FakeSmtp

pytestmark = [
    pytest.mark.slow,
    # The processes run on a database file of their own, so the PostgreSQL pass would only repeat the SQLite one.
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass"),
]
PEOPLE = 6

SETUP = """
from datetime import UTC, datetime
from rapport.campaigns import journeys, policy
from rapport.consent import services as consent
from rapport.contacts.services import create_person
from rapport.core.actors import Actor
from rapport.core.events import emit
from rapport.core.services import get_or_create_workspace

policy.clock = lambda: datetime(2026, 3, 1, 10, tzinfo=UTC)
ws = get_or_create_workspace(slug="crash", name="Crash")[0]
actor = Actor.system("crash")
steps = [{"type": "email", "subject": "One {{ first_name }}", "body": "one"},
         {"type": "email", "subject": "Two {{ first_name }}", "body": "two"}]
journeys.create_journey(workspace=ws, actor=actor, data={"name": "J", "trigger": "life_event", "status": "active",
                                                         "purpose": "offers", "steps": steps})
for i in range(%(people)d):
    p = create_person(workspace=ws, actor=actor, data={"first_name": f"P{i}", "email": f"p{i}@example.com"})
    consent.record(p, "offers", granted=True, channel="email", source="form")
    emit("consent.life_event_detected", {"workspace_id": ws.pk, "person_id": p.pk, "value": "new_job",
                                         "event_date": "2026-04-01", "source_post": None})
"""

TICK = """
import os, signal
from datetime import UTC, datetime, timedelta
from django.conf import settings
from rapport.campaigns import journeys_engine

settings.EMAIL_USE_TLS = False
kill_after = int(os.environ.get("KILL_AFTER", "0"))
deliver = journeys_engine._Walk._deliver
handed = []

def deliver_then_maybe_die(self, *args, **kwargs):
    deliver(self, *args, **kwargs)
    handed.append(1)
    if kill_after and len(handed) == kill_after:
        os.kill(os.getpid(), signal.SIGKILL)  # the mail server has it; nothing is recorded yet

journeys_engine._Walk._deliver = deliver_then_maybe_die
now = datetime(2026, 3, 1, 10, tzinfo=UTC) + timedelta(minutes=int(os.environ.get("MINUTES", "0")))
print(journeys_engine.tick(now=now))
"""


def _run(env: dict, code: str, **extra: str) -> subprocess.CompletedProcess:
    script = "import django; django.setup()\n" + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], env={**env, **extra}, capture_output=True, text=True, timeout=300
    )


def test_a_killed_journey_run_converges_without_giving_a_step_twice(tmp_path: Path):
    with FakeSmtp() as smtp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTEST", "DJANGO_SETTINGS"))},
            "DJANGO_SETTINGS_MODULE": "rapport.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.sqlite3'}",
            "RAPPORT_SECRET_KEY": secrets.token_urlsafe(40),
            "RAPPORT_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "RAPPORT_OUTBOUND_ALLOW": "127.0.0.1",
            "RAPPORT_HOME": os.environ.get("RAPPORT_HOME", str(tmp_path)),
        }
        migrate = subprocess.run(
            [sys.executable, "-m", "rapport.cli", "migrate", "-v", "0"], env=env, capture_output=True, timeout=600
        )
        assert migrate.returncode == 0, migrate.stderr[-2000:]
        setup = _run(env, SETUP % {"people": PEOPLE})
        assert setup.returncode == 0, setup.stderr[-2000:]

        killed = _run(env, TICK, KILL_AFTER="4")
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        assert len(smtp.messages) == 4

        early = _run(env, TICK, MINUTES="1")  # the dead run's lease still holds its batch
        assert early.returncode == 0, early.stderr[-2000:]
        assert len(smtp.messages) == 4

        later = _run(env, TICK, MINUTES="10")
        assert later.returncode == 0, later.stderr[-2000:]
        sent = [(m["To"], m["Subject"].split()[0]) for m in smtp.messages]
        assert len(sent) == len(set(sent)), "a step was given twice"
        # Everyone got both messages, except that the one handed over as the process died was never sent again.
        assert len(sent) == 2 * PEOPLE
        check = _run(
            env,
            """
            from rapport.campaigns.models import Enrolment, StepRun
            print(sorted(set(Enrolment.objects.values_list("status", flat=True))))
            print(sorted(StepRun.objects.values_list("status", flat=True)))
            """,
        )
        assert check.returncode == 0, check.stderr[-2000:]
        statuses, runs = check.stdout.strip().splitlines()
        assert statuses == "['completed']"
        assert runs.count("'uncertain'") == 1 and runs.count("'sent'") == 2 * PEOPLE - 1
