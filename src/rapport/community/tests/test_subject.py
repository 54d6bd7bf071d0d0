"""A member's community data is in their access export and goes with an erasure (blanked, anonymised)."""

import pytest

from rapport.community.models import Answer, Category, CommunityMember, Question
from rapport.consent.subject import erase_subject, export_subject
from rapport.contacts.services import create_person
from rapport.core.actors import Actor

pytestmark = pytest.mark.django_db
MARK = "zqxcommunity"


def test_a_members_posts_are_exported_then_erased(workspace):
    person = create_person(
        workspace=workspace, actor=Actor.system("t"), data={"first_name": "Kim", "email": f"k{MARK}@x.dk"}
    )
    member = CommunityMember.objects.create(
        workspace=workspace, person=person, handle=f"kim{MARK}", email=f"k{MARK}@x.dk"
    )
    other = CommunityMember.objects.create(workspace=workspace, handle="other", email="o@x.dk")
    cat = Category.objects.create(workspace=workspace, slug="iphone-5", name="iPhone 5")
    q = Question.objects.create(
        workspace=workspace, category=cat, author=member, title=f"Battery {MARK}", body=f"It dies {MARK}"
    )
    Answer.objects.create(workspace=workspace, question=q, author=other, body="Try a new battery")
    mine = Answer.objects.create(workspace=workspace, question=q, author=member, body=f"Thanks {MARK}")
    exported = export_subject(person)["community"]
    assert exported[0]["handle"] == f"kim{MARK}" and exported[0]["questions"][0]["title"] == f"Battery {MARK}"
    erase_subject(person)
    member.refresh_from_db()
    q.refresh_from_db()
    mine.refresh_from_db()
    assert MARK not in member.handle + member.email + q.title + q.body + mine.body and member.person_id is None
    assert Answer.objects.get(author=other).body == "Try a new battery"  # others' words stay
