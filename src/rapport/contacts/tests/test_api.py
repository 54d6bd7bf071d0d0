"""People and organisations through the API: create, find, page, change, timeline, bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.contacts import services
from rapport.contacts.models import Person, Touchpoint

pytestmark = pytest.mark.django_db


def make_person(api, **fields):
    response = api.post("/contacts", fields)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_with_identities_and_organisations_then_read_back(api):
    created = make_person(
        api,
        name="Åse Sørensen",
        email="ASE@Example.DK",
        phone="+45 20 12 34 56",
        identities=[{"network": "twitter", "handle": "@aase_s", "followers": 120}],
        organisations=[{"name": "Rotary Club Aarhus", "role": "President"}],
        tags=["VIP", "vip"],
    )
    assert (created["first_name"], created["last_name"]) == ("Åse", "Sørensen")
    assert created["email"] == "ase@example.dk" and created["phone"] == "+4520123456"
    assert created["identities"][0]["handle"] == "aase_s" and created["identities"][0]["followers"] == 120
    assert (
        created["organisations"][0]["name"] == "Rotary Club Aarhus"
        and created["organisations"][0]["role"] == "President"
    )
    assert created["tags"] == ["vip"]
    detail = api.get(f"/contacts/{created['id']}").json()
    # The detail adds what apps above contacts registered (influence: none yet for a new person).
    assert {k: v for k, v in detail.items() if k not in services.detail_extensions()} == created
    assert all(detail[name] is None for name in services.detail_extensions())


@pytest.mark.parametrize(
    "query", ["sorensen", "Sørensen", "ase@example", "20123456", "@aase_s", "aase_s", "rotary", "ÅSE søren"]
)
def test_search_finds_a_person_by_every_key(api, query):
    make_person(
        api,
        name="Åse Sørensen",
        email="ase@example.dk",
        phone="+4520123456",
        identities=[{"network": "twitter", "handle": "aase_s"}],
        organisations=[{"name": "Rotary Club Aarhus"}],
    )
    make_person(api, name="Bo Holm", email="bo@example.se")
    names = [c["name"] for c in api.get("/contacts", search=query).json()["items"]]
    assert names == ["Åse Sørensen"]


def test_cursor_pages_cover_everyone_once_in_name_order(api, workspace):
    for i in range(23):
        make_person(api, first_name=f"P{i:02d}", last_name=["Adams", "Berg", "Crane"][i % 3])
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        page = api.get("/contacts", **params).json()
        seen += [(c["last_name"].lower(), c["first_name"].lower(), c["id"]) for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 5 and len(seen) == 23 and len({s[2] for s in seen}) == 23
    assert seen == sorted(seen)


def test_bad_cursor_and_bad_fields_are_422_naming_the_field(api):
    assert api.get("/contacts", cursor="garbage!!").status_code == 422
    assert api.get("/contacts", cursor="WyJ4Il0").status_code == 422  # valid base64, wrong shape
    bad = api.post("/contacts", {"first_name": "Ann", "email": "not-an-email"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "email"
    bad = api.post("/contacts", {"first_name": "Ann", "phone": "12"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "phone"
    bad = api.post("/contacts", {"first_name": "A" * 101})
    assert bad.status_code == 422 and "first_name" in bad.json()["detail"][0]["loc"]
    bad = api.post("/contacts", {"first_name": "Ann\x00"})
    assert bad.status_code == 422
    bad = api.post("/contacts", {"lifecycle_stage": "customer"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "name"
    bad = api.post("/contacts", {"first_name": "Ann", "identities": [{"network": "myspace", "handle": "x"}]})
    assert bad.status_code == 422
    assert api.get("/contacts/99999999999999999999").status_code == 422
    assert Person.objects.count() == 0


def test_a_handle_cannot_belong_to_two_people(api):
    make_person(api, first_name="Ann", identities=[{"network": "twitter", "handle": "shared"}])
    bo = make_person(api, first_name="Bo")
    response = api.patch(f"/contacts/{bo['id']}", {"identities": [{"network": "twitter", "handle": "@Shared"}]})
    assert response.status_code == 422
    assert "belongs to another contact" in response.json()["detail"][0]["msg"]


def test_patch_changes_only_given_fields_and_is_audited(api):
    person = make_person(api, first_name="Ann", last_name="Berg", city="Lund")
    changed = api.patch(f"/contacts/{person['id']}", {"lifecycle_stage": "customer"}).json()
    assert changed["lifecycle_stage"] == "customer" and changed["city"] == "Lund"
    audit = api.get(f"/contacts/{person['id']}/audit").json()["items"]
    assert audit[0]["action"] == "contact.updated"
    assert audit[0]["before"] == {"lifecycle_stage": "lead"} and audit[0]["after"] == {"lifecycle_stage": "customer"}


def test_timeline_is_newest_first_filterable_and_paged(api, workspace):
    person = make_person(api, first_name="Ann")
    now = timezone.now()
    rows = [
        Touchpoint(
            workspace=workspace,
            person_id=person["id"],
            kind=["email", "call", "purchase"][i % 3],
            channel=["email", "phone", "store"][i % 3],
            occurred_at=now - timedelta(hours=i),
            title=f"t{i}",
        )
        for i in range(30)
    ]
    Touchpoint.objects.bulk_create(rows)
    first = api.get(f"/contacts/{person['id']}/timeline", limit=10).json()
    assert [t["title"] for t in first["items"]] == [f"t{i}" for i in range(10)]
    second = api.get(f"/contacts/{person['id']}/timeline", limit=10, cursor=first["next_cursor"]).json()
    assert [t["title"] for t in second["items"]] == [f"t{i}" for i in range(10, 20)]
    calls = api.get(f"/contacts/{person['id']}/timeline", kind="call", limit=50).json()["items"]
    assert len(calls) == 10 and {t["channel"] for t in calls} == {"phone"}
    logged = api.post(
        f"/contacts/{person['id']}/touchpoints",
        {
            "kind": "meeting",
            "channel": "web",
            "occurred_at": (now + timedelta(minutes=1)).isoformat(),
            "title": "Account review",
        },
    )
    assert logged.status_code == 201
    assert api.get(f"/contacts/{person['id']}/timeline", limit=1).json()["items"][0]["title"] == "Account review"
    assert api.get(f"/contacts/{person['id']}/timeline", channel="fax").status_code == 422


def test_organisations_crud_people_and_timeline(api, workspace):
    org = api.post("/organisations", {"name": "Novak Holzbau GmbH", "industry": "Carpentry", "size": "10-49"}).json()
    assert org["kind"] == "company"
    person = make_person(api, first_name="Petra", last_name="Novak", organisations=[{"id": org["id"], "role": "Owner"}])
    Touchpoint.objects.create(
        workspace=workspace,
        person_id=person["id"],
        kind="email",
        channel="email",
        occurred_at=timezone.now(),
        title="Opt-in",
    )
    assert api.get("/organisations", search="holzbau").json()["items"][0]["people_count"] == 1
    assert [p["id"] for p in api.get(f"/organisations/{org['id']}/people").json()["items"]] == [person["id"]]
    assert api.get(f"/organisations/{org['id']}/timeline").json()["items"][0]["title"] == "Opt-in"
    updated = api.patch(f"/organisations/{org['id']}", {"city": "Stuttgart", "country": "de"}).json()
    assert updated["country"] == "DE"
    assert api.patch(f"/organisations/{org['id']}", {"kind": "cult"}).status_code == 422
    assert api.patch(f"/organisations/{org['id']}", {"name": ""}).status_code == 422
    assert api.delete(f"/organisations/{org['id']}").status_code == 204
    assert api.get(f"/contacts/{person['id']}").json()["organisations"] == []
