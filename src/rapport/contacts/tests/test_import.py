"""CSV import and export: canonical headers, mapping, dry run, bad input named by line, good rows kept."""

import csv
import io
import subprocess
import sys

import pytest

from rapport.contacts.csvfile import ImportFileError, parse_mapping
from rapport.contacts.exporter import export_contacts
from rapport.contacts.importer import import_contacts
from rapport.contacts.models import Affiliation, Person
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent
from rapport.identity.models import SocialIdentity

pytestmark = pytest.mark.django_db
HEADER = (
    "external_id,first_name,last_name,email,phone,organisation,job_title,street,city,postcode,region,country,"
    "date_of_birth,customer_number,twitter,facebook,instagram,mastodon,bluesky,linkedin,tags,lifecycle_stage\n"
)


def run(workspace, text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return import_contacts(workspace=workspace, actor=Actor.importer("test"), stream=io.BytesIO(data), **kwargs)


def test_canonical_file_imports_every_column(workspace):
    row = (
        "c1,Margrethe,Sørensen,M.S@Example.dk,20 12 34 56,Novo Nordisk,Chemist,Vestergade 1,Odense,5000,Syddanmark,DK,"
        '1970-04-16,K-1,@grethe,grethe.fb,,grethe@mastodon.social,grethe.bsky.social,in/grethe,"vip, b2b",customer\n'
    )
    result = run(workspace, HEADER + row)
    assert result.summary() == {
        "received": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "imported_without_a_field": 0,
        "dry_run": False,
    }
    p = Person.objects.get(external_id="c1")
    assert (p.first_name, p.last_name, p.email, p.phone, p.city, p.country) == (
        "Margrethe",
        "Sørensen",
        "m.s@example.dk",
        "+4520123456",
        "Odense",
        "DK",
    )
    assert str(p.date_of_birth) == "1970-04-16" and p.tags == ["vip", "b2b"] and p.lifecycle_stage == "customer"
    assert sorted(SocialIdentity.objects.filter(person=p).values_list("network", "handle")) == [
        ("bluesky", "grethe.bsky.social"),
        ("facebook", "grethe.fb"),
        ("linkedin", "grethe"),
        ("mastodon", "grethe@mastodon.social"),
        ("twitter", "grethe"),
    ]
    assert Affiliation.objects.get(person=p).organization.name == "Novo Nordisk"
    assert AuditEvent.objects.filter(action="contact.created", object_id=str(p.pk)).exists()


def test_bad_rows_are_named_by_line_and_good_rows_around_them_are_kept(workspace):
    text = (
        "external_id,first_name,last_name,email,phone,date_of_birth,lifecycle_stage\n"
        "a1,Ann,Berg,ann@example.se,,,\n"
        "a2,Bo,Holm,not-an-email,,,\n"
        "a3,Cy,Dahl,,12,,\n"
        "a4,Di,Ek,,,1970-13-45,\n"
        "a1,Ann,Again,,,,\n"
        "a5,Ed,Falk,,,,emperor\n"
        ",,,,,,\n"
        "a6,Fi,Gran,fi@example.se,,,\n"
        "a7,,,,,,\n"
    )
    result = run(workspace, text)
    # A bad optional field (phone, date of birth, stage) costs its row only that field; identifying ones reject it.
    assert sorted(Person.objects.values_list("external_id", flat=True)) == ["a1", "a3", "a4", "a5", "a6"]
    assert Person.objects.get(external_id="a3").phone == ""
    assert Person.objects.get(external_id="a4").date_of_birth is None
    assert Person.objects.get(external_id="a5").lifecycle_stage == "lead"
    by_line = {r.line: (r.external_id, r.reason) for r in result.rejected}
    assert set(by_line) == {3, 6, 10}
    assert by_line[3][0] == "a2" and by_line[3][1].startswith("email:")
    assert "duplicate of line 2" in by_line[6][1]
    assert "first_name" in by_line[10][1]
    left_out = {w.line: w.reason for w in result.warnings}
    assert set(left_out) == {4, 5, 7}
    assert left_out[4].startswith("imported without phone:")
    assert left_out[5].startswith("imported without date_of_birth: 1970-13-45 is not a date")
    assert left_out[7].startswith("imported without lifecycle_stage:")
    assert result.received == 8  # the blank line is not a record


def test_missing_required_columns_and_empty_file_fail_as_a_whole(workspace):
    with pytest.raises(ImportFileError, match="missing required columns"):
        run(workspace, "id,phone\n1,+4520123456\n")
    with pytest.raises(ImportFileError, match="empty"):
        run(workspace, "")
    assert Person.objects.count() == 0


def test_windows_1252_is_detected_and_late_bad_bytes_are_reported_per_line(workspace):
    data = b"first_name,last_name\nAnn,Berg\n" + "Åse,Sørensen\n".encode("cp1252") + b"Bo,Holm\n"
    result = run(workspace, data)
    assert not result.rejected and result.dialect.encoding == "cp1252"
    assert Person.objects.filter(first_name="Åse", last_name="Sørensen").exists()
    Person.objects.all().delete()
    # Past the sample the detection reads (64 KiB of UTF-8), a Windows-1252 row is rejected by its line, with a hint.
    filler = b"".join(b"P%05d,Berg\n" % i for i in range(7000))
    result = run(workspace, b"first_name,last_name\n" + filler + "Åse,Sørensen\n".encode("cp1252") + b"Bo,Holm\n")
    assert [r.line for r in result.rejected] == [7002] and "cp1252" in result.rejected[0].reason
    assert Person.objects.filter(first_name="Bo").exists() and result.dialect.encoding == "utf-8"
    Person.objects.all().delete()
    result = run(workspace, data, encoding="cp1252")
    assert not result.rejected and Person.objects.filter(last_name="Sørensen").exists()


def test_mapping_dry_run_and_reimport_update(workspace):
    text = "Kundennummer;Vorname;Nachname;E-Mail\n".replace(";", ",") + "K1,Lukas,Brenner,lukas@example.de\n"
    mapping = parse_mapping("kundennummer=external_id,vorname=first_name,nachname=last_name,e-mail=email")
    dry = run(workspace, text, mapping=mapping, dry_run=True)
    assert dry.summary()["created"] == 1 and Person.objects.count() == 0
    run(workspace, text, mapping=mapping)
    run(workspace, text.replace("lukas@example.de", "l.brenner@example.de"), mapping=mapping)
    assert list(Person.objects.values_list("external_id", "email")) == [("K1", "l.brenner@example.de")]
    with pytest.raises(ImportFileError, match="target must be one of"):
        parse_mapping("x=shoe_size")


def test_quoted_multiline_rows_keep_their_line_numbers(workspace):
    text = 'first_name,last_name,street,email\nAnn,Berg,"Vestergade 1\nBaghuset",ann@example.se\nBo,Holm,,bad\n'
    result = run(workspace, text)
    assert [r.line for r in result.rejected] == [4]
    assert Person.objects.get().street == "Vestergade 1\nBaghuset"


def test_export_round_trips_through_import(workspace, other_workspace, tmp_path):
    run(workspace, HEADER + "x1,Ann,Berg,ann@example.se,,Volvo,,,,,,SE,,,annb,,,,,,vip,customer\n")
    out = tmp_path / "out.csv"
    assert export_contacts(workspace=workspace, path=out) == 1
    rows = list(csv.DictReader(out.open()))
    assert rows[0]["twitter"] == "annb" and rows[0]["organisation"] == "Volvo" and rows[0]["tags"] == "vip"
    result = run(other_workspace, out.read_bytes())
    assert result.summary()["created"] == 1
    assert Person.objects.get(workspace=other_workspace).email == "ann@example.se"


def test_cli_import_exits_1_with_rejections_and_names_them(tmp_path, workspace, settings):
    settings_env = {"RAPPORT_HOME": str(tmp_path), "PATH": ""}
    f = tmp_path / "c.csv"
    f.write_text("external_id,first_name,last_name,email\nc1,Ann,Berg,ann@example.se\nc2,Bo,Holm,not-an-email\n")
    cmd = [sys.executable, "-m", "rapport.cli"]
    subprocess.run([*cmd, "migrate", "-v", "0"], env=settings_env, check=True)
    subprocess.run(
        [*cmd, "createuser", "a@b.example", "--password", "Long-Password-1", "--workspace", "w", "--role", "admin"],
        env=settings_env,
        check=True,
        capture_output=True,
    )
    p = subprocess.run([*cmd, "contacts", "import", str(f)], env=settings_env, capture_output=True, text=True)
    assert p.returncode == 1
    assert "line 3 (external_id c2): email:" in p.stderr
    assert '"created": 1' in p.stdout


def test_an_account_heard_before_becomes_the_imported_persons_with_its_posts(workspace):
    from rapport.contacts.models import Touchpoint
    from rapport.pipeline.ingest import process_batch
    from rapport.pipeline.tests.factories import make_post

    process_batch(workspace_id=workspace.pk, posts=[make_post(1, "Where is my parcel?", handle="seenbefore")])
    heard = SocialIdentity.objects.get(workspace=workspace, handle_key="seenbefore")
    assert heard.person is None
    result = run(workspace, "external_id,first_name,last_name,twitter\nk1,Nora,Vik,@SeenBefore\n")
    assert result.summary()["created"] == 1 and not result.rejected
    heard.refresh_from_db()
    nora = Person.objects.get(external_id="k1")
    assert heard.person == nora
    assert SocialIdentity.objects.filter(workspace=workspace, handle_key="seenbefore").count() == 1
    assert Touchpoint.objects.get(person=nora).body == "Where is my parcel?"


def _many_rows(n: int) -> str:
    lines = []
    for i in range(n):
        if i % 997 == 5:
            lines.append(f"x{i},Bad,Phone,bad{i}@example.se,not-a-number,,,,,,,SE,,,,,,,,,,\n")
        elif i % 1499 == 7:
            lines.append(f"x{i - 1},Dup,Licate,dup{i}@example.se,,,,,,,,SE,,,,,,,,,,\n")
        else:
            lines.append(f"x{i},Per{i},Holm,p{i}@example.se,+46701{i:06d},Org {i % 7},,,,,,SE,,,p_{i},,,,,,,lead\n")
    return HEADER + "".join(lines)


def test_parallel_checking_gives_the_same_result_as_checking_inline(workspace, other_workspace):
    # More rows than two batches, so the worker process checks chunks ahead of the writes.
    text = _many_rows(5000)
    inline = run(other_workspace, text)
    parallel = run(workspace, text, parallel=True)
    assert parallel.summary() == inline.summary()
    assert [(r.line, r.external_id, r.reason) for r in parallel.rejected] == [
        (r.line, r.external_id, r.reason) for r in inline.rejected
    ]
    assert [(w.line, w.reason) for w in parallel.warnings] == [(w.line, w.reason) for w in inline.warnings]
    left_out = [w.reason for w in parallel.warnings]
    assert len([r for r in left_out if r.startswith("imported without phone: ")]) == 6  # i % 997 == 5
    reasons = [r.reason for r in parallel.rejected]
    assert len(reasons) == 4 and all(r.startswith("duplicate of line") for r in reasons)  # i % 1499 == 7
    assert (parallel.warnings[0].line, parallel.warnings[0].external_id) == (7, "x5")
    assert parallel.created == 5000 - len(parallel.rejected)
    mine = dict(Person.objects.filter(workspace=workspace).values_list("external_id", "search_text"))
    theirs = dict(Person.objects.filter(workspace=other_workspace).values_list("external_id", "search_text"))
    assert mine == theirs
    # The rows imported without their bad phone carry no handle either.
    assert SocialIdentity.objects.filter(workspace=workspace).count() == parallel.created - len(parallel.warnings)


def test_reimport_changes_only_what_is_new_and_audits_it_with_before_and_after(workspace):
    first = HEADER + "r1,Ann,Berg,ann@example.se,,Volvo,,,Malmo,,,SE,,,annb,,,,,,vip,customer\n"
    run(workspace, first)
    person = Person.objects.get(external_id="r1")
    # Known elsewhere as well: an account the file does not mention must stay searchable.
    SocialIdentity.objects.create(workspace=workspace, person=person, network="bluesky", handle="ann.bsky.social")
    audits = AuditEvent.objects.filter(object_type="person", object_id=str(person.pk))
    assert audits.count() == 1

    same = run(workspace, first)
    assert (same.updated, same.unchanged, same.created) == (0, 1, 0)
    assert audits.count() == 1  # nothing changed, nothing to audit

    # New email, a Mastodon account, another organisation; the empty city cell erases nothing.
    changed = HEADER + "r1,Ann,Berg,ann.berg@example.se,,IKEA,,,,,,SE,,,annb,,,ann@mastodon.social,,,vip,customer\n"
    result = run(workspace, changed)
    assert (result.updated, result.unchanged) == (1, 0)
    person.refresh_from_db()
    assert (person.email, person.city) == ("ann.berg@example.se", "Malmo")
    event = audits.order_by("-id").first()
    assert event.action == "contact.updated"
    assert event.before == {"email": "ann@example.se", "identities": [], "organisations": []}
    assert event.after == {
        "email": "ann.berg@example.se",
        "identities": ["mastodon:ann@mastodon.social"],
        "organisations": ["IKEA"],
    }
    for term in ("ann.berg@example.se", "@annb", "ann.bsky.social", "ann@mastodon.social", "volvo", "ikea"):
        assert term in person.search_text, term
    assert Person.objects.filter(workspace=workspace).count() == 1


def test_search_text_of_a_partly_loaded_person_is_the_full_one(workspace):
    from rapport.contacts.services import person_search_text

    run(workspace, HEADER + "s1,Ann,Berg,ann@example.se,+46701234567,Volvo,,,Malmo,,,SE,,C-9,annb,,,,,,vip,customer\n")
    full = Person.objects.get(external_id="s1")
    partial = Person.objects.only("id", "first_name").get(pk=full.pk)
    assert person_search_text(partial, handles=["annb"]) == person_search_text(full, handles=["annb"])
    assert "c-9" in person_search_text(partial)[0] and "malmo" in person_search_text(partial)[0]


def test_export_neutralises_formulas_and_round_trips_exactly(workspace, other_workspace, tmp_path, member_factory):
    from django.test import Client

    from rapport.core.models import Role

    names = ['=HYPERLINK("http://evil.example","click")', "+SUM(1)", "@SUM", "-1+1", "-Ann"]
    rows = "".join(f'x{i},"{n.replace(chr(34), chr(34) * 2)}",Berg,,,,,,,,,,,,,,,,,,,\n' for i, n in enumerate(names))
    rows += "p1,Per,Holm,,+45 20 12 34 56,,,,,,,DK,,,,,,,,,,\n"
    result = run(workspace, HEADER + rows)
    assert result.summary()["created"] == len(names) + 1, result.rejected
    Person.objects.filter(workspace=workspace, first_name="Per").update(
        job_title="\tx", city="\rx", last_name="'=quoted"
    )
    out = tmp_path / "out.csv"
    export_contacts(workspace=workspace, path=out)
    client = Client()
    client.force_login(member_factory(workspace, Role.ADMIN).user)
    streamed = b"".join(client.get("/contacts/export.csv").streaming_content)
    assert streamed == out.read_bytes()
    exported = {r["external_id"]: r for r in csv.DictReader(out.open(newline=""))}
    for i, name in enumerate(names):
        assert exported[f"x{i}"]["first_name"] == "'" + name
    assert exported["p1"]["phone"] == "'+4520123456" and exported["p1"]["last_name"] == "''=quoted"
    assert exported["p1"]["job_title"] == "'\tx" and exported["p1"]["city"] == "'\rx"
    run(other_workspace, out.read_bytes())
    mine = {p.external_id: p for p in Person.objects.filter(workspace=workspace)}
    theirs = {p.external_id: p for p in Person.objects.filter(workspace=other_workspace)}
    for key, person in mine.items():
        assert (theirs[key].first_name, theirs[key].last_name, theirs[key].phone) == (
            person.first_name,
            person.last_name,
            person.phone,
        )
    assert theirs["x4"].first_name == "-Ann" and theirs["p1"].phone == "+4520123456"
    assert theirs["p1"].last_name == "'=quoted"


UNICODE_TEXT = "first_name,last_name,email\nAnn,Berg,ann@example.se\nÅse,Sørensen,ase@example.dk\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("asked", ["utf-8-sig", "utf-16"])
def test_utf16_files_are_read_with_or_without_a_byte_order_mark(workspace, codec, asked):
    result = run(workspace, UNICODE_TEXT.encode(codec), encoding=asked)
    assert not result.rejected and result.summary()["created"] == 2
    assert Person.objects.filter(last_name="Sørensen").exists()


def test_undecodable_utf16_rejects_its_line_and_keeps_the_others(workspace):
    data = (
        UNICODE_TEXT.encode("utf-16")
        + "Bo,Holm,".encode("utf-16-le")
        + b"\x00\xd8"
        + "\nCy,Lund,cy@x.se\n".encode("utf-16-le")
    )
    result = run(workspace, data)
    assert [r.line for r in result.rejected] == [4] and "utf-16" in result.rejected[0].reason
    assert sorted(Person.objects.values_list("first_name", flat=True)) == ["Ann", "Cy", "Åse"]


@pytest.mark.parametrize("encoding", ["utf-16", "no-such-codec", "base64", "utf\x00"])
def test_an_encoding_that_cannot_read_the_file_is_a_clear_error(workspace, encoding):
    with pytest.raises(ImportFileError, match="encoding|UTF-16"):
        run(workspace, UNICODE_TEXT, encoding=encoding)


def test_cli_and_upload_take_utf16_and_refuse_a_wrong_encoding_without_a_traceback(tmp_path, workspace, client):
    from django.core.management import CommandError, call_command

    from rapport.core.services import create_member

    plain, wide = tmp_path / "plain.csv", tmp_path / "wide.csv"
    plain.write_text(UNICODE_TEXT, encoding="utf-8")
    wide.write_bytes(UNICODE_TEXT.encode("utf-16"))
    with pytest.raises(CommandError, match="not UTF-16"):
        call_command("contacts", "import", str(plain), "--workspace", "acme", "--encoding", "utf-16")
    with pytest.raises(CommandError, match="unknown encoding"):
        call_command("contacts", "import", str(plain), "--workspace", "acme", "--encoding", "base64")
    call_command("contacts", "import", str(wide), "--workspace", "acme", "--encoding", "utf-16")
    assert Person.objects.filter(workspace=workspace).count() == 2
    member = create_member(email="imp@acme.example", password="Long-Password-1", workspace=workspace, role="admin")
    client.force_login(member.user)
    with plain.open("rb") as fh:
        page = client.post("/contacts/import/", {"file": fh, "encoding": "utf-16"})
    assert page.status_code == 200 and b"not UTF-16" in page.content
    with wide.open("rb") as fh:
        page = client.post("/contacts/import/", {"file": fh, "dry_run": "1"})
    assert page.status_code == 200 and b"not UTF-16" not in page.content
