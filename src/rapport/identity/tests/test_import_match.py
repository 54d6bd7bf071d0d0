"""`rapport contacts import --match --report` and `rapport contacts dedupe`: linking instead of duplicating."""

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rapport.contacts.models import Person
from rapport.identity.importing import REPORT_COLUMNS
from rapport.identity.models import ReviewItem
from rapport.identity.records import match_settings

pytestmark = pytest.mark.django_db
HEAD = "external_id,first_name,last_name,email,phone,city,postcode,country,date_of_birth,customer_number,twitter\n"
EXISTING = (
    "a1,Margrethe,Sørensen,,,Odense,5000,DK,1970-04-16,,\n"
    "a2,Robert,Smith,bob@example.co.uk,,Leeds,LS1 4AP,GB,1980-02-03,,\n"
    "a3,Giulia,Rossi,,,Milano,,IT,1990-07-07,LC-55321,\n"
    "a4,Kwame,Mensah,,,,,,,,@kwame_m\n"
)


def write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return str(path)


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_import_with_matching_links_instead_of_duplicating(tmp_path, workspace, capsys):
    call_command("contacts", "import", write(tmp_path, "a.csv", EXISTING), "--workspace", "acme")
    ids = dict(Person.objects.values_list("external_id", "pk"))
    incoming = (
        "b1,Margrethe,Sorensen,,,Odense,5000,DK,1970-04-16,,\n"  # diacritics
        "b2,Bob,Smith,Bob@Example.co.uk,,,,,,,\n"  # nickname + same email
        "b3,Rossi,Giulia,,,,,,,LC55321,\n"  # swapped names, customer number without the dash
        "b4,K.,Mensah,,,,,,,,kwame_m\n"  # known handle
        "b5,Zeno,Quist,,,Lund,,SE,1991-03-03,,\n"  # nobody
        "b6,,,not-an-email,,,,,,,\n"  # rejected: never in the report
        "a1,Margrethe,Sørensen,,,Odense,5000,DK,1970-04-16,,\n"  # same external id
    )
    report = tmp_path / "r.csv"
    with pytest.raises(SystemExit):  # a rejected row makes the exit status 1
        call_command(
            "contacts",
            "import",
            write(tmp_path, "b.csv", incoming),
            "--workspace",
            "acme",
            "--match",
            "--report",
            str(report),
        )
    rows = read(report)
    assert list(rows[0]) == REPORT_COLUMNS
    got = {r["external_id"]: (r["row"], r["decision"], r["contact_id"], r["contact_external_id"]) for r in rows}
    assert got["b1"] == ("1", "linked", str(ids["a1"]), "a1")
    assert got["b2"] == ("2", "linked", str(ids["a2"]), "a2")
    assert got["b3"] == ("3", "linked", str(ids["a3"]), "a3")
    assert got["b4"] == ("4", "linked", str(ids["a4"]), "a4")
    assert got["b5"][1] == "new" and got["b5"][3] == "" and int(got["b5"][2]) not in ids.values()
    assert got["a1"] == ("7", "linked", str(ids["a1"]), "a1")
    assert "b6" not in got and len(rows) == 6
    assert "line 7" in capsys.readouterr().err
    assert Person.objects.count() == 5
    assert all(0 <= float(r["score"]) <= 1 for r in rows)


def test_review_band_rows_create_the_person_and_a_review_item(tmp_path, workspace):
    call_command("contacts", "import", write(tmp_path, "a.csv", EXISTING), "--workspace", "acme")
    settings = match_settings(workspace)
    settings.link_threshold, settings.review_threshold = 0.999, 0.05  # everything doubtful goes to review
    settings.save()
    report = tmp_path / "r.csv"
    call_command(
        "contacts",
        "import",
        write(tmp_path, "b.csv", "c1,Margaret,Sorensen,,,Odense,,DK,,,\n"),
        "--workspace",
        "acme",
        "--match",
        "--report",
        str(report),
    )
    (row,) = read(report)
    assert row["decision"] == "review" and row["contact_external_id"] == "a1"
    item = ReviewItem.objects.get()
    new = Person.objects.get(external_id="c1")
    assert (item.left.external_id, item.right_id, item.status, item.source) == ("a1", new.pk, "pending", "import")
    assert {f["field"] for f in item.explanation["fields"]} >= {"first_name", "last_name"}


def test_report_needs_match(tmp_path, workspace):
    with pytest.raises(CommandError, match="--match"):
        call_command("contacts", "import", write(tmp_path, "a.csv", EXISTING), "--workspace", "acme", "--report", "x")


def test_dedupe_lists_clusters_of_duplicates(tmp_path, workspace):
    people = (
        "d1,Jonathan,Miller,jon.miller@example.com,,Bristol,BS1 5TR,GB,1985-06-01,,\n"
        "d2,Jon,Miller,jon.miller@example.com,,Bristol,,GB,1985-06-01,,\n"
        "d3,Jonathan,Millar,,,Bristol,BS1 5TR,GB,1985-06-01,,\n"
        "d4,Priya,Patel,priya@example.in,,Leicester,,GB,1979-11-30,,\n"
        "d5,Tom,Hughes,,,Cardiff,,GB,1960-02-02,,\n"
    )
    call_command("contacts", "import", write(tmp_path, "p.csv", people), "--workspace", "acme")
    ids = dict(Person.objects.values_list("external_id", "pk"))
    report = tmp_path / "d.csv"
    call_command("contacts", "dedupe", "--workspace", "acme", "--report", str(report))
    rows = read(report)
    assert list(rows[0]) == ["cluster_id", "contact_id", "score"]
    clusters = {}
    for r in rows:
        clusters.setdefault(r["cluster_id"], set()).add(int(r["contact_id"]))
    assert list(clusters.values()) == [{ids["d1"], ids["d2"], ids["d3"]}]
    assert set(clusters) == {str(ids["d1"])}


def test_dedupe_can_queue_doubtful_pairs_for_review(tmp_path, workspace):
    people = (
        "d1,Jonathan,Miller,jon.miller@example.com,,Bristol,BS1 5TR,GB,1985-06-01,,\n"
        "d2,Jon,Miller,jon.miller@example.com,,Bristol,,GB,1985-06-01,,\n"
        "d3,Jonathan,Millar,,,Bristol,BS1 5TR,GB,1985-06-01,,\n"
        "d5,Tom,Hughes,,,Cardiff,,GB,1960-02-02,,\n"
    )
    call_command("contacts", "import", write(tmp_path, "p.csv", people), "--workspace", "acme")
    ids = dict(Person.objects.values_list("external_id", "pk"))
    settings = match_settings(workspace)
    settings.link_threshold, settings.review_threshold = 0.9999, 0.3  # only exact identifiers link
    settings.save()
    report = tmp_path / "d.csv"
    call_command("contacts", "dedupe", "--workspace", "acme", "--report", str(report), "--queue-review")
    clustered = {int(r["contact_id"]) for r in read(report)}
    items = list(ReviewItem.objects.filter(source="dedupe"))
    pairs = {(i.left_id, i.right_id) for i in items}
    assert items and all(0.3 <= i.score < 0.9999 for i in items)
    assert all(left < right for left, right in pairs)
    assert {ids["d1"], ids["d2"], ids["d3"]} <= clustered | {pid for pair in pairs for pid in pair}
    assert ids["d5"] not in clustered and all(ids["d5"] not in p for p in pairs)
    assert all(i.explanation["fields"] and len(i.explanation["records"]) == 2 for i in ReviewItem.objects.all())
    call_command("contacts", "dedupe", "--workspace", "acme", "--report", str(report), "--queue-review")
    assert ReviewItem.objects.count() == len(pairs)  # a pending pair is never queued twice


def test_a_row_links_to_a_person_created_by_an_earlier_batch_of_the_same_file(tmp_path, workspace, monkeypatch):
    monkeypatch.setattr("rapport.contacts.importer.BATCH", 2)
    rows = (
        "e1,Janet,Doe,janet.doe@posteo.de,,,,,,,\ne2,Filler,Person,,,,,,,,\ne3,JANET,Doe,janet.doe@posteo.de,,,,,,,\n"
    )
    report = tmp_path / "r.csv"
    call_command(
        "contacts", "import", write(tmp_path, "e.csv", rows), "--workspace", "acme", "--match", "--report", str(report)
    )
    got = {r["external_id"]: (r["decision"], r["contact_external_id"]) for r in read(report)}
    assert got == {"e1": ("new", ""), "e2": ("new", ""), "e3": ("linked", "e1")}
    assert Person.objects.count() == 2
