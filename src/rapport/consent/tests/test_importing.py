"""Importing existing consents keeps their dates; a bad row is named by line and field and the rest import."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from rapport.consent import services
from rapport.consent.models import ConsentEvent, Purpose
from rapport.contacts.services import create_person
from rapport.core.actors import Actor

pytestmark = pytest.mark.django_db


def test_import_keeps_dates_and_reports_bad_rows(workspace, tmp_path, capsys):
    person = create_person(
        workspace=workspace, actor=Actor.system("t"), data={"email": "kim@x.no", "external_id": "K1"}
    )
    f = tmp_path / "consents.csv"
    f.write_text(
        "email,external_id,purpose,channel,granted,occurred_at,wording\n"
        "KIM@x.no,,newsletter,email,yes,2019-05-01T10:00:00+00:00,Newsletter 2019\n"
        ",K1,offers,post,no,2020-01-01T00:00:00+00:00,\n"
        "nobody@x.no,,newsletter,email,yes,2019-05-01T10:00:00+00:00,\n"
        "kim@x.no,,newsletter,fax,yes,2019-05-01T10:00:00+00:00,\n"
        "kim@x.no,,newsletter,email,maybe,2019-05-01T10:00:00+00:00,\n"
        "kim@x.no,,newsletter,email,yes,last tuesday,\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as exit_code:
        call_command("consent", "import", str(f), "--workspace", workspace.slug)
    assert exit_code.value.code == 1
    out = capsys.readouterr()
    assert json.loads(out.out.strip().splitlines()[-1]) == {"imported": 2, "rejected": 4, "dry_run": False}
    for expected in ("line 4: email/external_id", "line 5: channel", "line 6: granted", "line 7: occurred_at"):
        assert expected in out.err
    event = ConsentEvent.objects.get(purpose=Purpose.NEWSLETTER)
    assert event.occurred_at.year == 2019 and event.source == "import" and event.wording == "Newsletter 2019"
    assert services.may_contact(person, Purpose.NEWSLETTER, "email")
    assert services.current_word(person, Purpose.OFFERS, "post") is False


def test_a_semicolon_windows_1252_file_and_an_unclosed_quote_read_as_contacts_reads_them(workspace, tmp_path, capsys):
    create_person(workspace=workspace, actor=Actor.system("t"), data={"email": "søren@x.dk"})
    create_person(workspace=workspace, actor=Actor.system("t"), data={"email": "ann@x.dk"})
    f = tmp_path / "samtykker.csv"
    f.write_bytes(
        (
            "email;purpose;channel;granted;occurred_at;wording\n"
            "søren@x.dk;newsletter;email;ja?;2019-05-01T10:00:00+00:00;Nyhedsbrev\n"
            'søren@x.dk;newsletter;email;yes;2019-05-01T10:00:00+00:00;"Nyhedsbrev, månedligt\n'
            "ann@x.dk;newsletter;email;yes;2019-05-02T10:00:00+00:00;Nyhedsbrev\n"
        ).encode("cp1252")
    )
    with pytest.raises(SystemExit):
        call_command("consent", "import", str(f), "--workspace", workspace.slug)
    out = capsys.readouterr()
    assert json.loads(out.out.strip().splitlines()[-1]) == {"imported": 1, "rejected": 2, "dry_run": False}
    unclosed = "a quoted field opened on this line is never closed (the lines after it are read again as rows)"
    assert out.err.splitlines() == ["line 2: granted: yes or no", f"line 3: {unclosed}"]
    event = ConsentEvent.objects.get()
    assert event.person.email == "ann@x.dk" and event.wording == "Nyhedsbrev"


def test_a_file_that_cannot_be_read_is_a_command_error_not_a_trace(workspace, tmp_path):
    from django.core.management.base import CommandError

    f = tmp_path / "empty.csv"
    f.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        call_command("consent", "import", str(f), "--workspace", workspace.slug)
    f.write_bytes(b"email,purpose\n")
    with pytest.raises(CommandError, match="--delimiter"):
        call_command("consent", "import", str(f), "--workspace", workspace.slug, "--delimiter", "x")
