"""resolve_author: known identities link, identifiers given in a message only claim, and garbage claims nothing."""

import pytest

from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.models import AuditEvent
from rapport.identity import claims
from rapport.identity.models import IdentityClaim, SocialIdentity
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
def test_an_identifier_in_a_message_is_a_claim_until_an_agent_confirms_it(workspace, people, text, how, member_factory):
    identity, person, got = resolve_author(
        workspace=workspace, network="instagram", external_id="ig-1", handle="mystery", name="Grethe S", text=text
    )
    assert (person, got) == (None, "")  # anyone who knows her number or address can type it
    identity.refresh_from_db()
    assert identity.person is None
    claim = IdentityClaim.objects.get(identity=identity)
    assert (claim.person, claim.how, claim.status) == (people, how, "pending")
    assert AuditEvent.objects.get(action="identity.claimed").actor_kind == "rule"
    assert not AuditEvent.objects.filter(action="identity.linked").exists()
    # The same claim again adds nothing.
    resolve_author(workspace=workspace, network="instagram", external_id="ig-1", text=text)
    assert IdentityClaim.objects.filter(identity=identity).count() == 1

    agent = member_factory(workspace, "agent").user
    claims.confirm_claim(workspace=workspace, claim_id=claim.pk, actor=Actor.for_user(agent))
    identity.refresh_from_db()
    assert identity.person == people
    linked = AuditEvent.objects.get(action="identity.linked")
    assert linked.actor_label == agent.email and linked.after["by"] == "claim_agent"
    claim.refresh_from_db()
    assert claim.status == "confirmed" and claim.decided_by == agent
    # The next post needs no identifier: the identity is now hers.
    assert resolve_author(workspace=workspace, network="instagram", external_id="ig-1", text="thanks!")[1:] == (
        people,
        "identity",
    )
    with pytest.raises(claims.ClaimError, match="already confirmed"):
        claims.dismiss_claim(workspace=workspace, claim_id=claim.pk, actor=Actor.for_user(agent))


def test_a_dismissed_claim_is_not_raised_again(workspace, people, member_factory):
    agent = Actor.for_user(member_factory(workspace, "agent").user)
    identity, _, _ = resolve_author(
        workspace=workspace, network="twitter", handle="imposter", text="My loyalty number is LC10442"
    )
    claim = IdentityClaim.objects.get(identity=identity)
    claims.dismiss_claim(workspace=workspace, claim_id=claim.pk, actor=agent)
    resolve_author(
        workspace=workspace, network="twitter", handle="imposter", text="medlemsnummer: LC10442, give me my points"
    )
    assert list(IdentityClaim.objects.values_list("status", flat=True)) == ["dismissed"]
    identity.refresh_from_db()
    assert identity.person is None
    assert AuditEvent.objects.filter(action="identity.claim_dismissed", actor_label=agent.label).count() == 1


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
    assert not IdentityClaim.objects.exists()


def test_a_shared_identifier_or_a_different_name_does_not_link(workspace, people):
    Person.objects.create(workspace=workspace, first_name="Jens", last_name="Sørensen", phone="+4520123456")
    _, person, _ = resolve_author(workspace=workspace, network="twitter", handle="h1", text="call me on 20123456")
    assert person is None  # two people share the landline
    _, person, _ = resolve_author(
        workspace=workspace, network="twitter", handle="h2", name="Peter Jensen", text="grethe.s@example.dk"
    )
    assert person is None
    assert not IdentityClaim.objects.exists()  # neither is even a claim: nobody, or somebody else, is named


def test_other_workspaces_people_are_never_found(workspace, other_workspace, people):
    _, person, _ = resolve_author(
        workspace=other_workspace, network="twitter", handle="grethe_s", text="grethe.s@example.dk LC-10442"
    )
    assert person is None and not IdentityClaim.objects.exists()


def test_an_author_with_nothing_to_go_on_has_no_identity(workspace):
    assert resolve_author(workspace=workspace, network="twitter", handle="  ", text="x") == (None, None, "")
