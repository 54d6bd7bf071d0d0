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


def test_rows_the_database_cannot_take_are_named_and_the_rest_import(workspace, tmp_path, capsys):
    kim = create_person(workspace=workspace, actor=Actor.system("t"), data={"email": "kim@x.no"})
    f = tmp_path / "consents.csv"
    good = "kim@x.no,newsletter,email,yes,2019-05-01T10:00:00+00:00"
    f.write_text(
        "email,purpose,channel,granted,occurred_at,wording,evidence,contact_id\n"
        f"{good},News\x00letter,,\n"
        f"{good},News,e\x00v,\n"
        "kim@x.no\x00,newsletter,email,yes,2019-05-01T10:00:00+00:00,News,,\n"
        "kim@x.no,newsletter,email,yes,2019-02-30T10:00:00,News,,\n"
        "kim@x.no,newsletter,email,yes,2019-05-01T10:00:00+99:00,News,,\n"
        "kim@x.no,offers,email,yes,2019-05-01T10:00:00+00:00,Offers,,99999999999999999999999\n"
        "kim@x.no,offers,post,yes,2019-05-01T10:00:00+00:00,Offers,,\u00b2\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit):
        call_command("consent", "import", str(f), "--workspace", workspace.slug)
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        "line 2: wording: must not contain control characters",
        "line 3: evidence: must not contain control characters",
        "line 4: email: must not contain control characters",
        "line 5: occurred_at: an ISO 8601 date and time",
        "line 6: occurred_at: an ISO 8601 date and time",
    ]
    # A contact_id that is no id falls back to the email, as a missing one does.
    assert sorted(ConsentEvent.objects.filter(person=kim).values_list("channel", flat=True)) == ["email", "post"]
