"""Who read whose personal data: the access log the DPO reads (`contact.viewed` audit events).

Every place that shows a person's record to someone (the person page, the API's contact detail, the inbox's
conversation, consent's privacy page) notes it here. A reader who keeps a record open and reloads it is one
view, not fifty: the same reader, person and place are noted once per ten minutes, so the log stays a list of
who looked, and when, that a person can read.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from rapport.contacts.models import Person
from rapport.core.actors import Actor
from rapport.core.services import record_audit

VIEWED = "contact.viewed"
EXPORTED = "contact.exported"
WINDOW_S = 600


def record_view(person: Person, *, actor: Actor, what: str) -> bool:
    """Note in the audit log that someone read the person's data in a place ("person page", "conversation", ...);
    False when the same reader saw the same record there within the last ten minutes."""
    who = actor.user.pk if actor.user is not None else actor.label
    digest = hashlib.blake2b(f"{actor.kind}|{who}|{what}".encode(), digest_size=12).hexdigest()
    key = f"rapport:viewed:{person.workspace_id}:{person.pk}:{digest}"
    if not cache.add(key, 1, WINDOW_S):
        return False
    record_audit(
        workspace=person.workspace,
        actor=actor,
        action=VIEWED,
        object_type="person",
        object_id=person.pk,
        after={"what": what},
    )
    return True
