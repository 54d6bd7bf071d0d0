"""CSV as people have it: semicolons and tabs from German and Danish Excel, dates people write, and a bad
optional field that costs the row only that field."""

import io

import pytest
from django.core.management import CommandError, call_command

from rapport.contacts.csvfile import detect_delimiter
from rapport.contacts.importer import import_contacts
from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.services import create_member
from rapport.identity.models import SocialIdentity

pytestmark = pytest.mark.django_db


def run(workspace, data: bytes, **kwargs):
    return import_contacts(workspace=workspace, actor=Actor.importer("test"), stream=io.BytesIO(data), **kwargs)


GERMAN = (
    "Kundennummer;Vorname;Nachname;E-Mail;Stadt;Geburtsdatum\n"
    'K1;Lukas;Brenner;lukas@example.de;"München; Bayern";13.02.1990\n'
    "K2;Jana;Vogt;jana@example.de;Köln;1985-07-01\n"
)
MAP = {"kundennummer": "external_id", "vorname": "first_name", "nachname": "last_name", "e_mail": "email",
       "stadt": "city", "geburtsdatum": "date_of_birth"}


def test_semicolon_files_from_german_excel_are_detected(workspace):
    result = run(workspace, GERMAN.encode("cp1252"), mapping=MAP)
    assert not result.rejected and result.created == 2
    assert (result.dialect.delimiter, result.dialect.encoding) == (";", "cp1252")
    lukas = Person.objects.get(external_id="K1")
    assert (lukas.city, str(lukas.date_of_birth)) == ("München; Bayern", "1990-02-13")


def test_tab_separated_unicode_text_is_detected(workspace):
    text = "first_name\tlast_name\temail\nSøren\tHolm\tsoren@example.dk\nAse\tLund\tase@example.dk\n"
    result = run(workspace, text.encode("utf-16"))
    assert not result.rejected and result.created == 2 and result.dialect.delimiter == "\t"
    assert Person.objects.filter(first_name="Søren", email="soren@example.dk").exists()


def test_a_delimiter_can_be_given_and_a_wrong_one_is_named(workspace, tmp_path):
    f = tmp_path / "pipes.csv"
    f.write_text("first_name|last_name|x,y,z\nAnn|Berg|1,2,3\n")  # as many commas as bars: detection says comma
    with pytest.raises(CommandError, match="missing required columns"):
        call_command("contacts", "import", str(f), "--workspace", "acme")
    call_command("contacts", "import", str(f), "--workspace", "acme", "--delimiter", "|")
    assert Person.objects.get(first_name="Ann").last_name == "Berg"
    with pytest.raises(CommandError, match="--delimiter ':'"):
        call_command("contacts", "import", str(f), "--workspace", "acme", "--delimiter", ":")


@pytest.mark.parametrize(
    ("line", "expected"),
    [("a,b;c", ","), ("a;b;c,d", ";"), ("a\tb\tc", "\t"), ('"x;y",b,c', ","), ("single", ",")],
)
def test_detection_counts_delimiters_outside_quotes(line, expected):
    assert detect_delimiter(line) == expected


def test_an_impossible_date_of_birth_costs_the_row_only_that_field(workspace):
    data = (
        b"external_id,first_name,last_name,email,date_of_birth,twitter,country\n"
        b"c1,Ann,Berg,ann@example.se,1990-02-30,@ann_b,SE\n"
        b"c2,Bo,Holm,not-an-email,1980-01-01,,\n"
        b"c3,Cy,Dahl,cy@example.dk,1979-05-04,bad handle!,Denmark\n"
    )
    result = run(workspace, data)
    ann = Person.objects.get(external_id="c1")
    assert ann.date_of_birth is None and ann.country == "SE"
    assert SocialIdentity.objects.filter(person=ann, handle="ann_b").exists()
    warnings = [str(w) for w in result.warnings]
    assert "line 2 (external_id c1): imported without date_of_birth: 1990-02-30 is not a date" in warnings[0]
    cy = Person.objects.get(external_id="c3")
    assert str(cy.date_of_birth) == "1979-05-04" and cy.country == ""
    assert not SocialIdentity.objects.filter(person=cy).exists()
    assert {w.line for w in result.warnings} == {2, 4} and len(result.warnings) == 3
    # A bad email identifies nobody: that row is rejected whole, by line.
    assert [(r.line, r.external_id) for r in result.rejected] == [(3, "c2")] and "email" in result.rejected[0].reason
    assert result.summary()["imported_without_a_field"] == 3


def test_the_upload_page_says_how_it_read_the_file_and_lists_what_it_left_out(workspace, client, tmp_path):
    member = create_member(email="imp@acme.example", password="Long-Password-1", workspace=workspace, role="admin")
    client.force_login(member.user)
    f = tmp_path / "de.csv"
    f.write_bytes("first_name;last_name;date_of_birth\nJürgen;Brenner;30.02.1990\n".encode("cp1252"))
    with f.open("rb") as fh:
        page = client.post("/contacts/import/", {"file": fh})
    body = page.content.decode()
    assert page.status_code == 200 and "Read as cp1252, fields separated by “;”" in body
    assert "imported without date_of_birth: 30.02.1990 is not a date" in body
    assert Person.objects.filter(first_name="Jürgen", date_of_birth__isnull=True).exists()


def test_an_unclosed_quote_names_its_line_and_the_rows_after_it_still_import(workspace):
    data = b'first_name,last_name\nAnn,Berg\nDi,"Ek, Jr"\nBo,"Holm\nCy,Dahl\nEd,Falk\n'
    result = run(workspace, data)
    unclosed = "a quoted field opened on this line is never closed (the lines after it are read again as rows)"
    assert [(r.line, r.reason) for r in result.rejected] == [(4, unclosed)]
    assert sorted(Person.objects.values_list("first_name", "last_name")) == [
        ("Ann", "Berg"), ("Cy", "Dahl"), ("Di", "Ek, Jr"), ("Ed", "Falk")
    ]
