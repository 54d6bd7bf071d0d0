"""Linking in the stream: the author of a post or message resolves to a person as it arrives."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace, Upper

from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.events import emit
from rapport.core.models import Workspace
from rapport.core.networks import Network
from rapport.core.services import record_audit
from rapport.identity.accounts import find_or_create_identity
from rapport.identity.matching import extract_identifiers, normalise_email
from rapport.identity.matching.nicknames import are_nicknames
from rapport.identity.matching.text import fold
from rapport.identity.models import SocialIdentity

_EMAIL = re.compile(r"[\w.+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}", re.I)
_NETWORKS = set(Network.values)
_WORD = re.compile(r"[^a-z0-9]+")
RULE = Actor.rule("identity: identifier in first message")


def _identity(workspace: Workspace, network: str, external_id: str, handle: str, name: str) -> SocialIdentity | None:
    """The identity for this account, created when unknown (the one find-or-create, in identity.accounts)."""
    return find_or_create_identity(
        workspace=workspace, network=network, external_id=external_id, handle=handle, name=name
    )


def _people_by_identifiers(workspace: Workspace, text: str) -> tuple[list[Person], str, dict]:
    """Live people whose email, phone or customer number appears in the text; how they were found."""
    found = extract_identifiers(text)
    if not found:
        return [], "", {}
    live = Person.objects.filter(workspace=workspace, merged_into__isnull=True)
    if found.customer_numbers:
        numbers = found.customer_numbers
        people = list(live.filter(customer_number__in=numbers))
        if not people:
            # Stored numbers may carry spaces or dashes the extracted form drops.
            bare = Upper(Replace(Replace("customer_number", Value("-"), Value("")), Value(" "), Value("")))
            people = list(live.exclude(customer_number="").annotate(bare=bare).filter(bare__in=numbers)[:5])
        if people:
            return people, "customer_number", {"customer_number": numbers[0]}
    if found.emails:
        raw = {m.group(0).lower() for m in _EMAIL.finditer(text)}
        candidates = live.filter(email__in=raw | set(found.emails))
        people = [p for p in candidates[:20] if normalise_email(p.email) in found.emails]
        if people:
            return people, "email", {"email": found.emails[0]}
    if found.phones:
        people = list(live.filter(phone__in=found.phones)[:20])
        if people:
            return people, "phone", {"phone": found.phones[0]}
    return [], "", {}


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
    """(identity, person or None, how) for a post's author: known identity, else an identifier in the text, else None.

    `how` is "identity", "customer_number", "email", "phone", or "" when the author stays unknown. A link
    made from the text is written to the identity and audited as a rule.
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
    person, how = link_from_text(workspace=workspace, identity=identity, text=text, name=name)
    return identity, person, how


def link_from_text(
    *, workspace: Workspace, identity: SocialIdentity, text: str, name: str = ""
) -> tuple[Person | None, str]:
    """Link an unlinked identity to the one person whose email, phone or customer number the text gives.

    Cheap when the text holds no identifier (no query is made), so the pipeline can call it for every
    post by an author not yet known; returns (person, how) or (None, "").
    """
    if identity.person_id is not None:
        return identity.person, "identity"
    people, how, evidence = _people_by_identifiers(workspace, text or "")
    if len(people) != 1:
        return None, ""  # nobody, or a shared identifier (a family mailbox): never guess
    person = people[0]
    if how != "customer_number" and name and _names_clash(name, person):
        return None, ""  # an email or phone is shared within households; a clearly different name is someone else
    with transaction.atomic():
        updated = SocialIdentity.objects.filter(pk=identity.pk, person__isnull=True).update(person=person)
        if not updated:  # linked concurrently: trust what is stored
            identity.refresh_from_db()
            return identity.person, "identity"
        identity.person = person
        record_audit(
            workspace=workspace,
            actor=RULE,
            action="identity.linked",
            object_type="person",
            object_id=person.pk,
            after={"identity": str(identity), "identity_id": identity.pk, "by": how},
        )
        emit(
            "identity.linked",
            {"workspace_id": workspace.pk, "identity_id": identity.pk, "person_id": person.pk, "by": how},
        )
    return person, how
