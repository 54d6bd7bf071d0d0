"""Linking in the stream: the author of a post or message resolves to a person as it arrives."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Replace, Upper

from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.events import emit
from rapport.core.models import Workspace
from rapport.core.services import record_audit
from rapport.identity.matching import extract_identifiers, normalise_email
from rapport.identity.matching.nicknames import are_nicknames
from rapport.identity.matching.text import fold
from rapport.identity.models import Network, SocialIdentity, normalise_handle

_EMAIL = re.compile(r"[\w.+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}", re.I)
_NETWORKS = set(Network.values)
_WORD = re.compile(r"[^a-z0-9]+")
RULE = Actor.rule("identity: identifier in first message")


def _identity(workspace: Workspace, network: str, external_id: str, handle: str, name: str) -> SocialIdentity | None:
    """The identity for this account, created when unknown (a handle reused by another account id is someone else)."""
    key = normalise_handle(handle)
    qs = SocialIdentity.objects.filter(workspace=workspace, network=network).select_related("person")
    found = qs.filter(external_id=external_id).first() if external_id else None
    if found is None and key:
        found = qs.filter(handle_key=key).first()
        if found is not None and external_id and found.external_id and found.external_id != external_id:
            found = None
    if found is not None or not (external_id or key):
        return found
    try:
        with transaction.atomic():
            return SocialIdentity.objects.create(
                workspace=workspace,
                network=network,
                external_id=external_id[:200],
                handle=handle[:200],
                display_name=name[:200],
            )
    except IntegrityError:  # another worker created it first
        return qs.filter(handle_key=key).first() if key else qs.filter(external_id=external_id).first()


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


def resolve_authors(*, workspace: Workspace, posts: list[dict]) -> list[tuple[int | None, int | None, str]]:
    """Batch form of resolve_author for the pipeline: [(identity_id, person_id, how)] in the order of the posts.

    Posts are in the connectors' shape (network, text, author{external_id, handle, name}). Known authors cost
    one query per network for the whole batch; only unknown authors whose text holds an identifier go on to
    resolve_author. Unknown authors with nothing to go on get (identity_id or None, None, "").
    """
    wanted: dict[str, tuple[set[str], set[str]]] = {}
    for post in posts:
        author = post.get("author") or {}
        net = post.get("network") if post.get("network") in _NETWORKS else Network.RSS
        ext, key = wanted.setdefault(net, (set(), set()))
        if author.get("external_id"):
            ext.add(str(author["external_id"]))
        if author.get("handle"):
            key.add(normalise_handle(author["handle"]))
    by_ext: dict[tuple[str, str], tuple[int, int | None]] = {}
    by_key: dict[tuple[str, str], tuple[int, int | None, str]] = {}
    for net, (ext, key) in wanted.items():
        rows = SocialIdentity.objects.filter(workspace=workspace, network=net).filter(
            Q(external_id__in=ext) | Q(handle_key__in=key)
        )
        for pk, ext_id, handle_key, person_id, merged_into in rows.values_list(
            "pk", "external_id", "handle_key", "person_id", "person__merged_into"
        ):
            person_id = merged_into or person_id
            if ext_id:
                by_ext[(net, ext_id)] = (pk, person_id)
            if handle_key:
                by_key[(net, handle_key)] = (pk, person_id, ext_id)
    out: list[tuple[int | None, int | None, str]] = []
    for post in posts:
        author = post.get("author") or {}
        net = post.get("network") if post.get("network") in _NETWORKS else Network.RSS
        ext_id, key = str(author.get("external_id") or ""), normalise_handle(author.get("handle"))
        found = by_ext.get((net, ext_id)) if ext_id else None
        if found is None and key and (net, key) in by_key:
            pk, person_id, known_ext = by_key[(net, key)]
            if not ext_id or not known_ext or known_ext == ext_id:  # a reused handle is someone else
                found = (pk, person_id)
        if found is not None and found[1] is not None:
            out.append((found[0], found[1], "identity"))
        elif extract_identifiers(post.get("text") or ""):
            identity, person, how = resolve_author(
                workspace=workspace,
                network=net,
                external_id=ext_id,
                handle=author.get("handle") or "",
                name=author.get("name") or "",
                text=post.get("text") or "",
            )
            out.append((identity.pk if identity else None, person.pk if person else None, how))
            if identity is not None and person is not None:  # later posts of the batch by this author
                if identity.external_id:
                    by_ext[(net, identity.external_id)] = (identity.pk, person.pk)
                if identity.handle_key:
                    by_key[(net, identity.handle_key)] = (identity.pk, person.pk, identity.external_id)
        else:
            out.append((found[0] if found else None, None, ""))
    return out
