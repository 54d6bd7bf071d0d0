"""Linking in the stream: the author of a post or message resolves to a person as it arrives, when the network
vouches for who they are; an identifier typed in a message is only a claim (see claims.py)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, Value, When
from django.db.models.functions import Replace, Upper

from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.events import emit
from rapport.core.models import Workspace
from rapport.core.networks import Network
from rapport.core.services import record_audit_bulk
from rapport.identity.accounts import find_or_create_identity
from rapport.identity.matching import Identifiers, extract_identifiers, normalise_email
from rapport.identity.matching.nicknames import are_nicknames
from rapport.identity.matching.text import fold
from rapport.identity.models import SocialIdentity

_EMAIL = re.compile(r"[\w.+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}", re.I)
_NETWORKS = set(Network.values)
_WORD = re.compile(r"[^a-z0-9]+")
RULE = Actor.rule("identity: authenticated sender")


def _identity(workspace: Workspace, network: str, external_id: str, handle: str, name: str) -> SocialIdentity | None:
    """The identity for this account, created when unknown (the one find-or-create, in identity.accounts)."""
    return find_or_create_identity(
        workspace=workspace, network=network, external_id=external_id, handle=handle, name=name
    )


def _tokens(text: str) -> set[str]:
    return {t for t in _WORD.split(fold(text or "")) if len(t) >= 3}


def _names_clash(display_name: str, person: Person) -> bool:
    """True when the author's display name shares nothing with the person's names or email (nicknames count)."""
    said = _tokens(display_name)
    known = _tokens(f"{person.first_name} {person.last_name} {(person.email or '').split('@', 1)[0]}")
    if not said or not known:
        return False  # emoji, initials or an empty profile: nothing to contradict the identifier
    for a in said:
        for b in known:
            if a in b or b in a or are_nicknames(a, b):
                return False
    return True


def resolve_author(
    *,
    workspace: Workspace,
    network: str,
    external_id: str = "",
    handle: str = "",
    name: str = "",
    text: str = "",
) -> tuple[SocialIdentity | None, Person | None, str]:
    """(identity, person or None, how) for a post's author: the person of a known, linked identity, else None.

    `how` is "identity" when the account is linked, "" otherwise. An identifier in the text does not link: it
    makes a pending claim (`claim_from_text`) that an agent confirms or the person proves.
    """
    network = network if network in _NETWORKS else Network.RSS
    identity = _identity(workspace, network, (external_id or "").strip(), (handle or "").strip().lstrip("@"), name)
    if identity is None:
        return None, None, ""
    if identity.person_id is not None:
        person = identity.person
        while person.merged_into_id is not None:  # identities normally move with a merge; older rows may not have
            person = person.merged_into
        return identity, person, "identity"
    claim_from_text(workspace=workspace, identity=identity, text=text, name=name)
    return identity, None, ""


def claim_from_text(*, workspace: Workspace, identity: SocialIdentity, text: str, name: str = ""):
    """The claim an unlinked identity makes by giving a person's email, phone or customer number, or None.

    Cheap when the text holds no identifier (no query is made), so the pipeline can call it for every post by an
    author not yet known. The rules are `claims.claim_many`'s: this is the same claimer for a batch of one.
    """
    from rapport.identity.claims import claim_many

    if identity.person_id is not None:
        return None
    found = extract_identifiers(text or "")
    if not found:
        return None
    candidate = Candidate(identity_id=identity.pk, label=str(identity), name=name, text=text, found=found)
    return claim_many(workspace=workspace, candidates=[candidate]).get(identity.pk)


@dataclass(frozen=True)
class Candidate:
    """An unlinked author and one text of theirs that holds an identifier (what the stream's linker is given)."""

    identity_id: int
    label: str  # "network:handle", as the audit trail names an identity
    name: str
    text: str
    found: Identifiers
    post_id: int | None = None  # the message the text is from, when it is one


def _unique(people: Iterable[Person]) -> list[Person]:
    return list({p.pk: p for p in people}.values())


def match_people(*, workspace: Workspace, candidates: list[Candidate]) -> dict[int, tuple[Person, str, Candidate]]:
    """The one person each candidate's text names, for a whole batch in a fixed number of queries.

    The rules: a customer number first (exact, then ignoring spaces and dashes), then an email, then a phone;
    nobody or several people means no match, and a clearly different name vetoes an email or phone. An identity's
    texts are tried in order and the first that matches wins. Returns identity id -> (person, how, candidate).
    What a match means is the caller's: `link_many` links an authenticated identifier, `claims.claim_many` turns
    an identifier typed in a message into a claim that waits for proof.
    """
    if not candidates:
        return {}
    live = Person.objects.filter(workspace=workspace, merged_into__isnull=True)
    numbers = {n for c in candidates for n in c.found.customer_numbers}
    by_number: dict[str, list[Person]] = defaultdict(list)
    if numbers:
        for p in live.filter(customer_number__in=numbers):
            by_number[p.customer_number].append(p)
    # Stored numbers may carry spaces or dashes the extracted form drops: one more query for the texts left over.
    bare_wanted = {
        n
        for c in candidates
        if c.found.customer_numbers and not any(n in by_number for n in c.found.customer_numbers)
        for n in c.found.customer_numbers
    }
    by_bare: dict[str, list[Person]] = defaultdict(list)
    if bare_wanted:
        bare = Upper(Replace(Replace("customer_number", Value("-"), Value("")), Value(" "), Value("")))
        for p in live.exclude(customer_number="").annotate(bare=bare).filter(bare__in=bare_wanted):
            by_bare[p.bare].append(p)
    raw_of = {id(c): {m.group(0).lower() for m in _EMAIL.finditer(c.text)} for c in candidates if c.found.emails}
    emails = {e for c in candidates if c.found.emails for e in raw_of[id(c)] | set(c.found.emails)}
    by_email: dict[str, list[Person]] = defaultdict(list)
    if emails:
        for p in live.filter(email__in=emails):
            by_email[p.email].append(p)
    phones = {ph for c in candidates for ph in c.found.phones}
    by_phone: dict[str, list[Person]] = defaultdict(list)
    if phones:
        for p in live.filter(phone__in=phones):
            by_phone[p.phone].append(p)

    def people_for(c: Candidate) -> tuple[list[Person], str]:
        f = c.found
        if f.customer_numbers:
            people = _unique(p for n in f.customer_numbers for p in by_number.get(n, ()))
            if not people:
                people = _unique(p for n in f.customer_numbers for p in by_bare.get(n, ()))[:5]
            if people:
                return people, "customer_number"
        if f.emails:
            near = _unique(p for e in sorted(raw_of[id(c)] | set(f.emails)) for p in by_email.get(e, ()))[:20]
            people = [p for p in near if normalise_email(p.email) in f.emails]
            if people:
                return people, "email"
        if f.phones:
            people = _unique(p for ph in f.phones for p in by_phone.get(ph, ()))[:20]
            if people:
                return people, "phone"
        return [], ""

    chosen: dict[int, tuple[Person, str, Candidate]] = {}
    for c in candidates:
        if c.identity_id in chosen:
            continue
        people, how = people_for(c)
        if len(people) != 1:
            continue  # nobody, or a shared identifier (a family mailbox): never guess
        person = people[0]
        if how != "customer_number" and c.name and _names_clash(c.name, person):
            continue  # an email or phone is shared within households; a clearly different name is someone else
        chosen[c.identity_id] = (person, how, c)
    return chosen


def link_matched(
    *, workspace: Workspace, chosen: dict[int, tuple[Person, str, str]], actor: Actor = RULE
) -> dict[int, tuple[Person, str]]:
    """Link each identity id to (person, how, label of the identity) where it is still unlinked; audit and announce
    `identity.linked` for the links this call made (an identity linked concurrently elsewhere keeps what is stored)."""
    if not chosen:
        return {}
    with transaction.atomic():
        SocialIdentity.objects.filter(pk__in=list(chosen), person__isnull=True).update(
            person_id=Case(*[When(pk=i, then=Value(p.pk)) for i, (p, _h, _c) in chosen.items()])
        )
        stored = dict(SocialIdentity.objects.filter(pk__in=list(chosen)).values_list("pk", "person_id"))
        made = {i: (p, how, label) for i, (p, how, label) in chosen.items() if stored.get(i) == p.pk}
        record_audit_bulk(
            workspace=workspace,
            actor=actor,
            events=[
                ("identity.linked", "person", p.pk, {"identity": label, "identity_id": i, "by": how})
                for i, (p, how, label) in made.items()
            ],
        )
        for i, (p, how, _c) in made.items():
            emit("identity.linked", {"workspace_id": workspace.pk, "identity_id": i, "person_id": p.pk, "by": how})
    return {i: (p, how) for i, (p, how, _c) in made.items()}


def link_many(*, workspace: Workspace, candidates: list[Candidate]) -> dict[int, tuple[Person, str]]:
    """Link identities whose candidate text is an authenticated identifier (a verified email sender's address) to
    the one person it names; returns identity id -> (person, how) for the links made.

    Only for identifiers the network vouches for: an identifier typed in a message is a claim (`claims.claim_many`).
    """
    matched = match_people(workspace=workspace, candidates=candidates)
    return link_matched(workspace=workspace, chosen={i: (p, how, c.label) for i, (p, how, c) in matched.items()})
