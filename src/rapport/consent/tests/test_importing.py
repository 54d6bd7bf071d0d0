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
