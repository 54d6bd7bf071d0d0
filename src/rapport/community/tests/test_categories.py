"""Staff manage the community's categories in the product: renaming one re-files its questions at once (the
experts list follows the new name, the old name finds nobody, and the kept rows equal a rebuild); deleting one that
holds questions moves them first; every change is audited and checked; other roles and workspaces are refused."""

import pytest
from django.test import Client

from rapport.community import categories, expertise, services
from rapport.community.models import Category, Expertise, Question, ReputationEntry
from rapport.community.tests.helpers import category, member
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def _rows(workspace) -> set[tuple]:
    return {
        (r.topic, r.member_id, round(r.weight, 6), r.accepted) for r in Expertise.objects.filter(workspace=workspace)
    }


def _answered(workspace, cat, title="Battery drains overnight"):
    asker, helper = member(workspace, f"asker{cat.pk}"), member(workspace, f"helper{cat.pk}")
    q = services.ask(author=asker, category=cat, title=title, body="?")
    services.accept(
        answer=services.answer(question=q, author=helper, body="Turn off background refresh."), by_member=asker
    )
    return q, helper


def test_renaming_a_category_moves_its_experts_at_once(workspace):
    cat = category(workspace)  # iPhone 5, iphone-5
    _, helper = _answered(workspace, cat)
    assert [e.member for e in services.experts(workspace=workspace, topic="iPhone 5")] == [helper]
    categories.save(workspace=workspace, actor=Actor.system("test"), category=cat, slug="iphone-se", name="iPhone SE")
    assert [e.member for e in services.experts(workspace=workspace, topic="iPhone SE")] == [helper]
    assert [e.member for e in services.experts(workspace=workspace, topic="iphone-se")] == [helper]
    assert services.experts(workspace=workspace, topic="iPhone 5") == []  # the old name is nobody's topic now
    kept = _rows(workspace)
    expertise.rebuild(workspace.pk)
    assert _rows(workspace) == kept
    event = AuditEvent.objects.get(action="community.category_updated")
    assert event.before["name"] == "iPhone 5" and event.after["name"] == "iPhone SE"


def test_deleting_a_category_with_questions_moves_them_first(workspace):
    cat, fibre = category(workspace), category(workspace, "Fibre", "fibre")
    q, helper = _answered(workspace, cat)
    with pytest.raises(FieldErrors) as refused:
        categories.delete(workspace=workspace, actor=Actor.system("test"), category=cat)
    assert "move_to" in refused.value.errors and "1 question" in refused.value.errors["move_to"]
    assert Category.objects.filter(pk=cat.pk).exists()
    earned = ReputationEntry.objects.filter(category=cat).count()
    assert earned > 0  # the accepted answer earned points in the category
    assert categories.delete(workspace=workspace, actor=Actor.system("test"), category=cat, move_to=fibre) == 1
    assert Question.objects.get(pk=q.pk).category == fibre
    assert ReputationEntry.objects.filter(category=fibre).count() == earned  # the reputation moved, not nulled
    assert not ReputationEntry.objects.filter(category__isnull=True).exists()
    assert [e.member for e in services.experts(workspace=workspace, topic="fibre")] == [helper]
    assert services.experts(workspace=workspace, topic="iphone-5") == []
    assert AuditEvent.objects.get(action="community.category_deleted").before["moved"] == 1


def test_bad_categories_name_the_field(workspace):
    category(workspace)
    actor = Actor.system("test")
    for fields, field in (
        ({"slug": "iphone-5", "name": "Another"}, "slug"),  # taken
        ({"slug": "Not a slug!", "name": "X"}, "slug"),
        ({"slug": "ok", "name": "   "}, "name"),
        ({"slug": "ok", "name": "Bad\x00name"}, "name"),
        ({"slug": "ok", "name": "Fine", "description": "x" * 301}, "description"),
    ):
        with pytest.raises(FieldErrors) as bad:
            categories.save(workspace=workspace, actor=actor, **fields)
        assert field in bad.value.errors, fields


def test_the_settings_pages_and_the_api(workspace, other_workspace, admin_client, member_factory, api_factory):
    cat = category(workspace)
    _answered(workspace, cat)
    page = admin_client.get("/settings/community/categories/")
    assert page.status_code == 200 and "iPhone 5" in page.content.decode()
    assert "Community categories" in admin_client.get("/settings/").content.decode()
    created = admin_client.post("/settings/community/categories/new/", {"name": "Routers", "slug": "routers"})
    assert created.status_code == 302
    routers = Category.objects.get(workspace=workspace, slug="routers")
    bad = admin_client.post("/settings/community/categories/new/", {"name": "Dup", "slug": "routers"})
    assert bad.status_code == 400 and "already has the address" in bad.content.decode()
    renamed = admin_client.post(f"/settings/community/categories/{cat.pk}/", {"name": "iPhone SE", "slug": "iphone-se"})
    assert renamed.status_code == 302 and Category.objects.get(pk=cat.pk).name == "iPhone SE"
    refused = admin_client.post(f"/settings/community/categories/{cat.pk}/delete/", {})
    assert refused.status_code == 400 and "choose the category they move to" in refused.content.decode()
    moved = admin_client.post(f"/settings/community/categories/{cat.pk}/delete/", {"move_to": routers.pk})
    assert moved.status_code == 302 and not Category.objects.filter(pk=cat.pk).exists()

    agent = Client()
    agent.force_login(member_factory(workspace, Role.AGENT).user)
    assert agent.get("/settings/community/categories/").status_code == 403
    manager = Client()
    manager.force_login(member_factory(workspace, Role.COMMUNITY_MANAGER).user)
    assert manager.get("/settings/community/categories/").status_code == 200

    api = api_factory(workspace, Role.COMMUNITY_MANAGER)
    assert {c["slug"]: c["questions"] for c in api.get("/community/categories").json()} == {"routers": 1}
    new = api.post("/community/categories", {"slug": "tv", "name": "TV"})
    assert new.status_code == 201 and new.json()["questions"] == 0
    assert api.post("/community/categories", {"slug": "tv", "name": "TV again"}).status_code == 422
    patched = api.patch(f"/community/categories/{routers.pk}", {"name": "Routers and modems"})
    assert patched.status_code == 200 and patched.json()["slug"] == "routers"
    assert api.delete(f"/community/categories/{routers.pk}").status_code == 422
    assert api.delete(f"/community/categories/{routers.pk}?move_to=nowhere").status_code == 422
    assert api.delete(f"/community/categories/{routers.pk}?move_to=tv").status_code == 204
    assert api_factory(workspace, Role.AGENT).get("/community/categories").status_code == 403
    theirs = api_factory(other_workspace)
    assert theirs.patch(f"/community/categories/{new.json()['id']}", {"name": "Mine"}).status_code == 404
