"""Merge, un-merge and the review queue through the API: roles, errors and workspace isolation."""

import pytest

from rapport.contacts.models import Person
from rapport.core.models import Role
from rapport.identity.models import MatchSettings, Merge, ReviewItem
from rapport.identity.services import queue_review

pytestmark = pytest.mark.django_db


def make(api, **fields):
    response = api.post("/contacts", fields)
    assert response.status_code == 201, response.content
    return response.json()


def test_merge_then_undo_through_the_api(api):
    kept = make(api, name="Ola Nordmann", email="ola@example.no")
    absorbed = make(api, name="Ola Nordman", phone="+4791234567", identities=[{"network": "twitter", "handle": "olan"}])
    response = api.post(f"/contacts/{kept['id']}/merge", {"absorb_id": absorbed["id"]})
    assert response.status_code == 201, response.content
    merge = response.json()
    assert (merge["kept"], merge["absorbed"], merge["undone_at"]) == (kept["id"], absorbed["id"], None)
    assert "phone" in merge["filled_fields"] and len(merge["moved"]["identities"]) == 1
    body = api.get(f"/contacts/{kept['id']}").json()
    assert body["phone"] == "+4791234567" and [i["handle"] for i in body["identities"]] == ["olan"]
    assert api.get(f"/contacts/{absorbed['id']}").json()["merged_into"] == kept["id"]
    assert [m["id"] for m in api.get(f"/contacts/{absorbed['id']}/merges").json()["items"]] == [merge["id"]]
    again = api.post(f"/contacts/{kept['id']}/merge", {"absorb_id": absorbed["id"]})
    assert again.status_code == 409 and "already merged" in again.json()["detail"]
    undone = api.post(f"/merges/{merge['id']}/undo")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert api.get(f"/contacts/{absorbed['id']}").json()["identities"][0]["handle"] == "olan"
    assert api.get(f"/contacts/{kept['id']}").json()["phone"] == ""
    assert api.post(f"/merges/{merge['id']}/undo").status_code == 409


def test_merge_errors(api, api_factory, other_workspace):
    me = make(api, name="Ada Lovelace")
    theirs = make(api_factory(other_workspace), name="Ada Lovelace")
    self_merge = api.post(f"/contacts/{me['id']}/merge", {"absorb_id": me["id"]})
    assert self_merge.status_code == 422 and "itself" in self_merge.json()["detail"]
    cross = api.post(f"/contacts/{me['id']}/merge", {"absorb_id": theirs["id"]})
    missing = api.post(f"/contacts/{me['id']}/merge", {"absorb_id": 999999})
    assert cross.status_code == missing.status_code == 422
    assert cross.json()["detail"].replace(str(theirs["id"]), "N") == missing.json()["detail"].replace("999999", "N")
    assert api.post(f"/contacts/{me['id']}/merge", {"absorb_id": "x"}).status_code == 422
    assert api.post(f"/contacts/{me['id']}/merge", {}).status_code == 422
    assert Person.objects.get(pk=theirs["id"]).merged_into_id is None


def test_other_workspaces_records_are_not_found(api, api_factory, workspace, other_workspace):
    other = api_factory(other_workspace)
    a, b = make(other, name="Eve One"), make(other, name="Eve Two")
    merge = other.post(f"/contacts/{a['id']}/merge", {"absorb_id": b["id"]}).json()
    item = queue_review(
        workspace=other_workspace,
        left=Person.objects.get(pk=a["id"]),
        right=Person.objects.create(workspace=other_workspace, first_name="Eve"),
        score=0.5,
    )
    mine = make(api, name="Me")
    assert api.post(f"/contacts/{a['id']}/merge", {"absorb_id": mine["id"]}).status_code == 404
    assert api.get(f"/contacts/{a['id']}/merges").status_code == 404
    assert api.get(f"/merges/{merge['id']}").status_code == 404
    assert api.post(f"/merges/{merge['id']}/undo").status_code == 404
    assert api.get("/identity/review").json()["items"] == []
    assert api.post(f"/identity/review/{item.pk}", {"decision": "reject"}).status_code == 404
    assert Merge.objects.get(pk=merge["id"]).undone_at is None
    assert ReviewItem.objects.get(pk=item.pk).status == "pending"


def test_roles(api_factory, workspace):
    admin = api_factory(workspace, Role.ADMIN)
    a, b = make(admin, name="Role One"), make(admin, name="Role Two")
    dpo = api_factory(workspace, Role.DPO)
    assert dpo.post(f"/contacts/{a['id']}/merge", {"absorb_id": b["id"]}).status_code == 403
    assert dpo.get("/identity/review").status_code == 403
    agent = api_factory(workspace, Role.AGENT)
    merge = agent.post(f"/contacts/{a['id']}/merge", {"absorb_id": b["id"]})
    assert merge.status_code == 201
    assert dpo.post(f"/merges/{merge.json()['id']}/undo").status_code == 403
    assert dpo.get(f"/merges/{merge.json()['id']}").status_code == 200
    assert api_factory(workspace, Role.MARKETER).get("/identity/review").status_code == 200
    c = make(admin, name="Role Three")
    item = queue_review(workspace=workspace, left=a["id"], right=c["id"], score=0.5)
    assert dpo.post(f"/identity/review/{item.pk}", {"decision": "accept"}).status_code == 403
    assert ReviewItem.objects.get(pk=item.pk).status == "pending"
    assert (
        api_factory(workspace, Role.COMMUNITY_MANAGER)
        .post(f"/identity/review/{item.pk}", {"decision": "reject"})
        .status_code
        == 200
    )


def _queue(api, workspace, n):
    items = []
    for i in range(n):
        left = make(api, first_name="Jon", last_name=f"Smyth{i}", city="Leeds", date_of_birth="1980-01-0" + str(i + 1))
        right = make(
            api, first_name="John", last_name=f"Smith{i}", city="Leeds", date_of_birth="1980-01-0" + str(i + 1)
        )
        items.append(queue_review(workspace=workspace, left=left["id"], right=right["id"], score=0.55, source="test"))
    return items


def test_review_queue_pages_with_both_contacts_and_explanation(api, workspace):
    items = _queue(api, workspace, 3)
    assert queue_review(workspace=workspace, left=items[0].right_id, right=items[0].left_id, score=0.5) is None
    seen, cursor = [], None
    while True:
        page = api.get("/identity/review", limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [i["id"] for i in seen] == [i.pk for i in items]
    first = seen[0]
    assert first["left"]["first_name"] == "Jon" and first["right"]["first_name"] == "John"
    assert first["status"] == "pending" and first["score"] == 0.55
    assert api.get("/identity/review", cursor="!!").status_code == 422


def test_review_decisions_merge_or_not_and_retrain_the_matcher(api, workspace):
    items = _queue(api, workspace, 2)
    accepted = api.post(f"/identity/review/{items[0].pk}", {"decision": "accept"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Person.objects.get(pk=items[0].right_id).merged_into_id == items[0].left_id
    assert Merge.objects.get(review_item=items[0]).kept_id == items[0].left_id
    rejected = api.post(f"/identity/review/{items[1].pk}", {"decision": "reject"})
    assert rejected.status_code == 200 and rejected.json()["decided_by"].startswith("admin@")
    assert Person.objects.get(pk=items[1].right_id).merged_into_id is None
    assert api.post(f"/identity/review/{items[1].pk}", {"decision": "accept"}).status_code == 409
    assert api.post(f"/identity/review/{items[1].pk}", {"decision": "maybe"}).status_code == 422
    settings = MatchSettings.objects.get(workspace=workspace)
    assert settings.decisions_fitted == 2 and settings.params["version"] == 1
    assert [i["id"] for i in api.get("/identity/review", status="accepted").json()["items"]] == [items[0].pk]
