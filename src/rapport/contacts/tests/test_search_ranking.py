"""Search ranks by relevance: a person whose name is the query comes before people who only contain it."""

import pytest

from rapport.contacts import services

pytestmark = pytest.mark.django_db


def make(api, **fields):
    response = api.post("/contacts", fields)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def kristensens(api):
    # Twenty colleagues at a firm named after the family, sorted before Kristensen by last name.
    for i in range(20):
        make(api, first_name=f"Anna{i:02d}", last_name="Andersen", email=f"a{i}@kristensen-revision.dk",
             organisations=[{"name": "Kristensen Revision"}])
    for i in range(5):
        make(api, first_name=f"Bent{i}", last_name="Berg", email=f"bent{i}@example.dk", city="Kristensenby")
    make(api, first_name="Carl", last_name="Olsen", email="carl@example.dk",
         identities=[{"network": "twitter", "handle": "carlkristensen"}])
    make(api, first_name="Hanne", last_name="Kristensen", email="hanne.k@example.dk")
    make(api, first_name="Ib", last_name="Kristensen-Holm", email="ib@example.dk")
    make(api, first_name="Kristen", last_name="Dahl", email="kd@example.dk")


def names(api, query, **params):
    return [c["name"] for c in api.get("/contacts", search=query, limit=100, **params).json()["items"]]


def test_the_person_named_by_the_query_comes_first(api, kristensens):
    found = names(api, "kristensen")
    assert found[0] == "Hanne Kristensen"
    # A name that starts with the word, then whole words elsewhere (the firm, the town), then inside a handle.
    assert found[1] == "Ib Kristensen-Holm"
    firm = [i for i, n in enumerate(found) if n.endswith("Andersen")]
    town = [i for i, n in enumerate(found) if n.endswith("Berg")]
    assert len(firm) == 20 and len(town) == 5
    assert max(firm + town) < found.index("Carl Olsen") == len(found) - 1
    assert "Kristen Dahl" not in found


def test_a_first_name_prefix_ranks_above_a_word_inside_an_email(api, kristensens):
    found = names(api, "kristen")
    assert found[:3] == ["Kristen Dahl", "Hanne Kristensen", "Ib Kristensen-Holm"]
    assert found.index("Kristen Dahl") < found.index("Anna00 Andersen")


def test_ranked_pages_cover_every_match_once(api, workspace, kristensens):
    whole = names(api, "kristensen")
    seen, cursor = [], None
    while True:
        rows, cursor = services.search_people(workspace=workspace, query="kristensen", limit=4, cursor=cursor)
        seen += [f"{p.first_name} {p.last_name}" for p in rows]
        if not cursor:
            break
    assert seen == whole and len(set(seen)) == len(seen) == 28


def test_without_a_query_the_list_stays_in_name_order(api, kristensens):
    listed = names(api, "")
    assert listed[:3] == ["Anna00 Andersen", "Anna01 Andersen", "Anna02 Andersen"]
