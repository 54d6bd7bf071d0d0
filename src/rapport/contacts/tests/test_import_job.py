"""A large CSV upload is imported by a job with a progress page, not inside the request; the file is not kept."""

from pathlib import Path

import pytest

from rapport.contacts.models import ContactImport, Person
from rapport.core.models import Role
from rapport.core.runner import JobRunner

pytestmark = pytest.mark.django_db(transaction=True)


def run_jobs() -> None:
    runner = JobRunner()
    while runner.step():
        pass


@pytest.fixture
def admin_client(client, member_factory, workspace):
    client.force_login(member_factory(workspace, Role.ADMIN).user)
    return client


def test_a_large_upload_is_a_job_with_progress_and_its_file_is_deleted(admin_client, workspace, settings, tmp_path):
    settings.RAPPORT_IMPORT_INLINE_BYTES = 1024
    rows = "".join(f"e{i},Per{i},Holm,p{i}@example.se,1990-02-{30 if i == 7 else 10}\n" for i in range(3000))
    f = tmp_path / "big.csv"
    f.write_text("external_id,first_name,last_name,email,date_of_birth\n" + rows + "e9,Bad,Mail,not-an-email,\n")
    with f.open("rb") as fh:
        answer = admin_client.post("/contacts/import/", {"file": fh})
    job = ContactImport.objects.get(workspace=workspace)
    assert answer.status_code == 302 and answer["Location"] == f"/contacts/import/{job.pk}/"
    assert not Person.objects.exists()  # nothing was imported inside the request
    waiting = admin_client.get(answer["Location"])
    assert waiting.status_code == 200 and b'http-equiv="refresh"' in waiting.content
    assert job.status == "queued" and job.total_lines == 3001 and Path(job.path).exists()
    assert oct(Path(job.path).stat().st_mode & 0o777) == "0o600"
    run_jobs()
    job.refresh_from_db()
    assert job.status == "done" and job.processed == 3000 and job.percent == 100
    assert job.summary["created"] == 3000 and job.summary["rejected"] == 1
    assert job.rejected == [{"line": 3002, "external_id": "e9", "reason": job.rejected[0]["reason"]}]
    assert "email" in job.rejected[0]["reason"] and job.warnings[0]["line"] == 9
    assert Person.objects.filter(workspace=workspace).count() == 3000 and not Path(job.path).exists()
    done = admin_client.get(f"/contacts/import/{job.pk}/").content.decode()
    assert "3000 created" in done and "1 rejected" in done and 'http-equiv="refresh"' not in done


def test_a_job_import_is_seen_only_in_its_workspace_and_a_bad_file_fails_clearly(
    admin_client, workspace, other_workspace, member_factory, client, settings, tmp_path
):
    settings.RAPPORT_IMPORT_INLINE_BYTES = 10
    f = tmp_path / "no-names.csv"
    f.write_text("colour,size\nred,XL\n")
    with f.open("rb") as fh:
        answer = admin_client.post("/contacts/import/", {"file": fh})
    job = ContactImport.objects.get()
    run_jobs()
    job.refresh_from_db()
    assert job.status == "failed" and "missing required columns" in job.error and not Path(job.path).exists()
    assert "missing required columns" in admin_client.get(answer["Location"]).content.decode()
    from django.test import Client

    stranger = Client()
    stranger.force_login(member_factory(other_workspace, Role.ADMIN).user)
    assert stranger.get(answer["Location"]).status_code == 404
    agent = Client()
    agent.force_login(member_factory(workspace, Role.AGENT, email="agent2@acme.example").user)
    assert agent.get(answer["Location"]).status_code == 403
