"""resolve_author: known identities, identifiers given in a first message, and garbage that never links."""

import pytest

from rapport.contacts.models import Person
from rapport.core.models import AuditEvent
from rapport.identity.models import SocialIdentity
from rapport.identity.stream import resolve_author

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(workspace):
    grethe = Person.objects.create(
        workspace=workspace,
        first_name="Margrethe",
        last_name="Sørensen",
        email="grethe.s@example.dk",
        phone="+4520123456",
        customer_number="LC-10442",
    )
    SocialIdentity.objects.create(workspace=workspace, network="twitter", handle="grethe_s", person=grethe)
    return grethe


def test_known_identity_resolves_by_handle_or_external_id(workspace, people):
    identity, person, how = resolve_author(workspace=workspace, network="twitter", handle="@Grethe_S", text="hi")
    assert (person, how) == (people, "identity") and identity.handle_key == "grethe_s"


@pytest.mark.parametrize(
    ("text", "how"),
    [
        ("Hi, my email is Grethe.S@Example.dk, please check my order", "email"),
        ("Ring me on +45 20 12 34 56 please", "phone"),
        ("My loyalty number is LC10442 and my points are missing", "customer_number"),
        ("medlemsnummer: LC10442", "customer_number"),
    ],
)
def test_an_identifier_in_the_first_message_links_a_new_handle(workspace, people, text, how):
    identity, person, got = resolve_author(
        workspace=workspace, network="instagram", external_id="ig-1", handle="mystery", name="Grethe S", text=text
    )
    assert (person, got) == (people, how)
    identity.refresh_from_db()
    assert identity.person == people
    event = AuditEvent.objects.get(action="identity.linked")
    assert event.actor_kind == "rule" and event.object_id == str(people.pk)
    # The next post needs no identifier: the identity is now hers.
    assert resolve_author(workspace=workspace, network="instagram", external_id="ig-1", text="thanks!")[1:] == (
        people,
        "identity",
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no identifiers at all here",
        "my email is test@test.com and my number is 123456",
        "call 000000000",
        "contact noreply@example.dk",
        "my member number is 1234",
        "🤬🤬🤬 @@@ ### n/a",
    ],
)
def test_garbage_never_links(workspace, people, text):
    Person.objects.create(workspace=workspace, first_name="Test", email="test@test.com", phone="+4500000000")
    identity, person, how = resolve_author(workspace=workspace, network="twitter", handle="troll", text=text)
    assert person is None and how == "" and identity.person_id is None


def test_a_shared_identifier_or_a_different_name_does_not_link(workspace, people):
    Person.objects.create(workspace=workspace, first_name="Jens", last_name="Sørensen", phone="+4520123456")
    _, person, _ = resolve_author(workspace=workspace, network="twitter", handle="h1", text="call me on 20123456")
    assert person is None  # two people share the landline
    _, person, _ = resolve_author(
        workspace=workspace, network="twitter", handle="h2", name="Peter Jensen", text="grethe.s@example.dk"
    )
    assert person is None


def test_other_workspaces_people_are_never_found(workspace, other_workspace, people):
    _, person, _ = resolve_author(
        workspace=other_workspace, network="twitter", handle="grethe_s", text="grethe.s@example.dk LC-10442"
    )
    assert person is None


def test_an_author_with_nothing_to_go_on_has_no_identity(workspace):
    assert resolve_author(workspace=workspace, network="twitter", handle="  ", text="x") == (None, None, "")


