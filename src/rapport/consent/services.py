"""The one answer to "may we contact this person for this purpose on this channel?" and "may we process their data
for this purpose?". Every outbound path and every processing step asks here at the moment it acts.

The ledger (`ConsentEvent`) is append-only and is the proof; `ConsentState` holds the newest word per person,
purpose and channel and is maintained by `record` in the same transaction, so each answer is one indexed read.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from rapport.consent.models import (
    ConsentEvent,
    ConsentState,
    ContactChannel,
    EnrichmentFact,
    FactKind,
    LawfulBasis,
    PrivacyFlags,
    Purpose,
    Suppression,
    SuppressionReason,
)

# Purposes that run on legitimate interest: allowed until the person objects. Service messages run on the contract.
# All others need a grant. A CSAT survey asks about a service conversation the customer started, on the channel
# they wrote in on: legitimate interest, and an objection (or a withdrawal) stops every later survey.
BASIS: dict[str, str] = {
    Purpose.SERVICE: LawfulBasis.CONTRACT,
    Purpose.PROFILING: LawfulBasis.LEGITIMATE_INTEREST,
    Purpose.SURVEYS: LawfulBasis.LEGITIMATE_INTEREST,
}

# Do-not-track stops these processing purposes (profiling, scoring, enrichment, personalisation).
TRACKING_PURPOSES = {Purpose.PROFILING, Purpose.ENRICHMENT, Purpose.OFFERS}

SOURCES = ("form", "import", "agent", "api", "double_opt_in", "preference_centre", "unsubscribe", "dpo")

# How a network (of a conversation, a message) maps to a contact channel.
_NETWORK_CHANNELS = {"email": ContactChannel.EMAIL, "sms": ContactChannel.SMS, "phone": ContactChannel.PHONE}


def basis(purpose: str) -> str:
    """The lawful basis a purpose runs on."""
    return BASIS.get(purpose, LawfulBasis.CONSENT)


def channel_for_network(network: str) -> str:
    """The contact channel a message on this network uses (social networks and chats are social DMs)."""
    return _NETWORK_CHANNELS.get(network or "", ContactChannel.SOCIAL_DM)


def _newer(a: tuple[datetime, int], b: tuple[datetime, int]) -> bool:
    return a >= b


def _apply_state(event: ConsentEvent) -> None:
    """Make the derived state follow the event when it is the newest word for its person, purpose and channel."""
    key = {"person_id": event.person_id, "purpose": event.purpose, "channel": event.channel}
    for _ in range(2):
        state = ConsentState.objects.select_for_update().filter(**key).first()
        if state is None:
            try:
                with transaction.atomic():
                    ConsentState.objects.create(
                        workspace_id=event.workspace_id,
                        granted=event.granted,
                        event=event,
                        occurred_at=event.occurred_at,
                        **key,
                    )
                return
            except IntegrityError:  # another writer created it first: compare with theirs
                continue
        if _newer((event.occurred_at, event.pk), (state.occurred_at, state.event_id)):
            state.granted, state.event, state.occurred_at = event.granted, event, event.occurred_at
            state.save(update_fields=["granted", "event", "occurred_at"])
        return


def record(
    person,
    purpose: str,
    *,
    granted: bool,
    channel: str = "",
    source: str,
    wording: str = "",
    wording_version: str = "",
    evidence: dict | None = None,
    recorded_by=None,
    occurred_at: datetime | None = None,
) -> ConsentEvent:
    """Append a grant or a withdrawal (an objection, for a legitimate-interest purpose) to the ledger.

    The event and the current state are written in one transaction of their own before anything else happens, so
    a withdrawal is never lost to a later failure of the caller."""
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    if channel not in ContactChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    with transaction.atomic():
        event = ConsentEvent.objects.create(
            workspace_id=person.workspace_id,
            person=person,
            purpose=purpose,
            channel=channel,
            granted=granted,
            source=source,
            wording=wording,
            wording_version=wording_version,
            evidence=evidence or {},
            recorded_by=recorded_by,
            occurred_at=occurred_at or timezone.now(),
        )
        _apply_state(event)
    if purpose == Purpose.ENRICHMENT and not channel and not granted and _state(person.pk, purpose, "") is False:
        # Withdrawn (and the newest word): what was read about them goes with the permission, after the withdrawal
        # itself is safely written (the retention purge sweeps up should this fail).
        forget_enrichment([person.pk])
    return event


def object_to(person, purpose: str, *, source: str, **kwargs) -> ConsentEvent:
    """The person objects to processing for a purpose (the right to object)."""
    return record(person, purpose, granted=False, source=source, **kwargs)


def rebuild_state(person_ids: Iterable[int]) -> None:
    """Derive the current state of these people afresh from the ledger (after a merge moved events between them)."""
    ids = set(person_ids)
    with transaction.atomic():
        ConsentState.objects.filter(person_id__in=ids).delete()
        newest: dict[tuple, ConsentEvent] = {}
        for event in ConsentEvent.objects.filter(person_id__in=ids).order_by("occurred_at", "id"):
            newest[(event.person_id, event.purpose, event.channel)] = event
        ConsentState.objects.bulk_create(
            ConsentState(
                workspace_id=e.workspace_id,
                person_id=e.person_id,
                purpose=e.purpose,
                channel=e.channel,
                granted=e.granted,
                event=e,
                occurred_at=e.occurred_at,
            )
            for e in newest.values()
        )


def on_merge(event: str, payload: dict) -> None:
    """contact.merged / contact.unmerged: the ledger moved with the merge; the derived state follows it."""
    rebuild_state([pid for pid in (payload.get("kept"), payload.get("absorbed")) if pid])


def _state(person_id: int, purpose: str, channel: str) -> bool | None:
    row = ConsentState.objects.filter(person_id=person_id, purpose=purpose, channel=channel).values_list(
        "granted", flat=True
    )
    return next(iter(row), None)


def current_word(person, purpose: str, channel: str = "") -> bool | None:
    """The person's newest word on a purpose and channel: True, False, or None when they never gave one."""
    return _state(person.pk, purpose, channel)


def _allowed(purpose: str, granted: bool | None) -> bool:
    if basis(purpose) == LawfulBasis.CONSENT:
        return bool(granted)
    return granted is None or granted


def flags_of(person) -> PrivacyFlags | None:
    """The person's do-not-contact / do-not-track / restriction switches, or None when none was ever set."""
    return PrivacyFlags.objects.filter(person_id=person.pk).first()


def set_flags(person, **flags: bool) -> PrivacyFlags:
    """Set some of do_not_contact, do_not_track, restricted for a person."""
    unknown = set(flags) - {"do_not_contact", "do_not_track", "restricted"}
    if unknown:
        raise ValueError(f"unknown privacy flag(s): {', '.join(sorted(unknown))}")
    with transaction.atomic():
        row, _ = PrivacyFlags.objects.update_or_create(
            person_id=person.pk, defaults={"workspace_id": person.workspace_id, **flags}
        )
        if row.do_not_track:  # do-not-track stops enrichment: what was read goes
            forget_enrichment([person.pk])
    return row


def may_process(person, purpose: str) -> bool:
    """May Rapport process this person's data for the purpose (profiling, enrichment, segment marketing)?"""
    flags = flags_of(person)
    if (
        flags
        and purpose != Purpose.SERVICE
        and (flags.restricted or flags.do_not_track and purpose in TRACKING_PURPOSES)
    ):
        return False
    return _allowed(purpose, _state(person.pk, purpose, ""))


def may_contact(person, purpose: str, channel: str) -> bool:
    """May Rapport contact this person for the purpose on the channel? A follower or a page like is not consent."""
    return contact_answers(person, [purpose], [channel])[(purpose, channel)]


def contact_answers(person, purposes: Iterable[str], channels: Iterable[str]) -> dict[tuple[str, str], bool]:
    """`may_contact` for every purpose on every channel of one person, keyed (purpose, channel): at most three
    queries whatever the size of the grid (the preference centre asks 24 at once)."""
    purposes, channels = list(purposes), list(channels)
    if not all(channels):
        raise ValueError("may_contact needs a channel")
    flags = flags_of(person) if any(p != Purpose.SERVICE for p in purposes) else None
    switched_off = bool(flags and (flags.do_not_contact or flags.restricted))
    suppressed = _suppressed_channels(person, channels)
    words = {
        (p, c): granted
        for p, c, granted in ConsentState.objects.filter(
            person_id=person.pk, purpose__in=purposes, channel__in=[*channels, ""]
        ).values_list("purpose", "channel", "granted")
    }
    return {
        (p, c): not (p != Purpose.SERVICE and switched_off)
        and c not in suppressed
        and words.get((p, "")) is not False  # an objection to the purpose as a whole covers every channel
        and _allowed(p, words.get((p, c)))
        for p in purposes
        for c in channels
    }


def _suppressed_channels(person, channels: list[str]) -> set[str]:
    """Of these channels, those on which the person's address is on the suppression list (one query at most)."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for channel in channels:
        address = _address(person, channel)
        if normalise_address(channel, address):
            key = (_suppression_channel(channel), address_hash(person.workspace_id, channel, address))
            wanted.setdefault(key, []).append(channel)
    if not wanted:
        return set()
    found = Suppression.objects.filter(
        workspace_id=person.workspace_id,
        channel__in={c for c, _ in wanted},
        address_hash__in={h for _, h in wanted},
    ).values_list("channel", "address_hash")
    return {channel for key in found if key in wanted for channel in wanted[key]}


def objectors(workspace_id: int, purpose: str) -> set[int]:
    """Ids of the people whose latest word on a processing purpose is "no" (never ranked, never scored)."""
    ids = set(
        ConsentState.objects.filter(workspace_id=workspace_id, purpose=purpose, channel="", granted=False).values_list(
            "person_id", flat=True
        )
    )
    blocked = PrivacyFlags.objects.filter(workspace_id=workspace_id, restricted=True)
    if purpose in TRACKING_PURPOSES:
        blocked = blocked | PrivacyFlags.objects.filter(workspace_id=workspace_id, do_not_track=True)
    return ids | set(blocked.values_list("person_id", flat=True))


def permitted(workspace_id: int, person_ids: Iterable[int], purpose: str, channel: str = "") -> set[int]:
    """Of these people, those who may be processed (channel "") or contacted (a channel) for the purpose.

    Set-based: three or four queries whatever the number of people. A large audience reads the purpose's rows of the
    derived state for the whole workspace (one index range) instead of sending its ids to the database."""
    ids = set(person_ids)
    if not ids:
        return set()
    scope: dict = {"workspace_id": workspace_id}
    if len(ids) <= 1000:
        scope["person_id__in"] = ids
    state = dict(
        ConsentState.objects.filter(purpose=purpose, channel=channel, **scope).values_list("person_id", "granted")
    )
    blocked: set[int] = set()
    if channel:
        blocked.update(
            ConsentState.objects.filter(purpose=purpose, channel="", granted=False, **scope).values_list(
                "person_id", flat=True
            )
        )
    if purpose != Purpose.SERVICE:
        for pid, dnc, dnt, restricted in PrivacyFlags.objects.filter(**scope).values_list(
            "person_id", "do_not_contact", "do_not_track", "restricted"
        ):
            if restricted or (channel and dnc) or (not channel and dnt and purpose in TRACKING_PURPOSES):
                blocked.add(pid)
    allowed = {pid for pid in ids if pid not in blocked and _allowed(purpose, state.get(pid))}
    suppressions = Suppression.objects.filter(workspace_id=workspace_id, channel=_suppression_channel(channel))
    if channel and allowed and suppressions.exists():
        allowed -= suppressed_people(workspace_id, allowed, channel)
    return allowed


def _changed_since_sql() -> str:
    """The one statement `changed_since` runs, written once from the models' table and column names."""

    def col(model, field: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(field).column)

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    # Only the models' own table and column names are formatted in; every value is a parameter.
    return (
        f"SELECT 1 WHERE EXISTS (SELECT 1 FROM {table(ConsentEvent)} WHERE {col(ConsentEvent, 'person')} = %s"  # noqa: S608
        f" AND {col(ConsentEvent, 'recorded_at')} >= %s)"
        f" OR EXISTS (SELECT 1 FROM {table(PrivacyFlags)} WHERE {col(PrivacyFlags, 'person')} = %s"
        f" AND {col(PrivacyFlags, 'updated_at')} >= %s)"
        f" OR EXISTS (SELECT 1 FROM {table(Suppression)} WHERE {col(Suppression, 'workspace')} = %s"
        f" AND {col(Suppression, 'channel')} = %s AND {col(Suppression, 'created_at')} >= %s)"
    )


_CHANGED_SINCE: dict[str, str] = {}  # per database vendor


def changed_since(person, channel: str, since: datetime) -> bool:
    """Has anything that decides `may_contact` on the channel moved since `since` (a consent event of the person,
    their privacy flags, a suppression on the channel)? One indexed statement, written once: a sender that checked
    a chunk with `permitted` asks this before each message and asks `may_contact` again only when it is true, so
    it must cost next to nothing (building the same query with the ORM took a millisecond a message)."""
    sql = _CHANGED_SINCE.get(connection.vendor) or _CHANGED_SINCE.setdefault(connection.vendor, _changed_since_sql())
    at = connection.ops.adapt_datetimefield_value(since)
    with connection.cursor() as cursor:
        cursor.execute(sql, [person.pk, at, person.pk, at, person.workspace_id, _suppression_channel(channel), at])
        return cursor.fetchone() is not None


# --- the suppression list -----------------------------------------------------------------------------------------


def normalise_address(channel: str, address: str) -> str:
    """The comparable form of an address: a lower-cased email, the digits of a phone number."""
    address = (address or "").strip()
    if channel == ContactChannel.EMAIL:
        return address.lower()
    if channel in (ContactChannel.SMS, ContactChannel.PHONE):
        return "".join(ch for ch in address if ch.isdigit())
    return address.lower()


def address_hash(workspace_id: int, channel: str, address: str) -> str:
    """A keyed hash of an address: matchable, not reversible, not the address."""
    # SMS and phone share numbers: a complaint about one stops the other.
    kind = "phone" if channel in (ContactChannel.SMS, ContactChannel.PHONE) else channel
    message = f"{workspace_id}:{kind}:{normalise_address(channel, address)}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _address(person, channel: str) -> str:
    if channel == ContactChannel.EMAIL:
        return getattr(person, "email", "") or ""
    if channel in (ContactChannel.SMS, ContactChannel.PHONE):
        return getattr(person, "phone", "") or ""
    return ""


def suppress(workspace_id: int, channel: str, address: str, *, reason: str, detail: str = "") -> Suppression:
    """Put an address on the suppression list (a bounce, a complaint): nothing is sent to it on that channel."""
    if reason not in SuppressionReason.values:
        raise ValueError(f"unknown suppression reason {reason!r}")
    if not normalise_address(channel, address):
        raise ValueError("an empty address cannot be suppressed")
    row, _ = Suppression.objects.get_or_create(
        workspace_id=workspace_id,
        channel=_suppression_channel(channel),
        address_hash=address_hash(workspace_id, channel, address),
        defaults={"reason": reason, "detail": detail[:200]},
    )
    return row


def _suppression_channel(channel: str) -> str:
    return ContactChannel.PHONE if channel == ContactChannel.SMS else channel


def is_suppressed(workspace_id: int, channel: str, address: str) -> bool:
    """Is this address on the suppression list for the channel?"""
    if not normalise_address(channel, address):
        return False
    return Suppression.objects.filter(
        workspace_id=workspace_id,
        channel=_suppression_channel(channel),
        address_hash=address_hash(workspace_id, channel, address),
    ).exists()


def suppressed_people(workspace_id: int, person_ids: Iterable[int], channel: str) -> set[int]:
    """Of these people, those whose address on the channel is on the suppression list (an SMS number is looked up
    under phone, where suppressions of numbers are kept)."""
    from rapport.contacts.models import Person

    field = "email" if channel == ContactChannel.EMAIL else "phone"
    if channel not in (ContactChannel.EMAIL, ContactChannel.SMS, ContactChannel.PHONE):
        return set()
    hashes = set(
        Suppression.objects.filter(workspace_id=workspace_id, channel=_suppression_channel(channel)).values_list(
            "address_hash", flat=True
        )
    )
    if not hashes:
        return set()
    out: set[int] = set()
    ids = list(person_ids)
    for start in range(0, len(ids), 5000):
        for pid, address in Person.objects.filter(pk__in=ids[start : start + 5000]).values_list("pk", field):
            if address and address_hash(workspace_id, channel, address) in hashes:
                out.add(pid)
    return out


# --- reading the ledger -------------------------------------------------------------------------------------------


def current(person) -> list[ConsentState]:
    """The current word per purpose and channel, each with the event that proves it."""
    return list(
        ConsentState.objects.filter(person_id=person.pk)
        .select_related("event", "event__recorded_by")
        .order_by("purpose", "channel")
    )


def history(person, limit: int = 500) -> list[ConsentEvent]:
    """The person's ledger, newest first."""
    return list(
        ConsentEvent.objects.filter(person_id=person.pk)
        .select_related("recorded_by")
        .order_by("-occurred_at", "-id")[:limit]
    )


# --- enrichment: facts read with permission -----------------------------------------------------------------------


@dataclass(frozen=True)
class FactReading:
    """One fact read about a person (from a post or a form), before it is stored."""

    person_id: int
    kind: str  # interest | life_event
    value: str
    confidence: float
    expires_at: datetime
    observed_at: datetime
    event_date: date | None = None
    source_post: int | None = None
    source: str = "post"
    evidence: str = ""


@dataclass
class EnrichmentResult:
    created: int = 0
    refreshed: int = 0
    refused: int = 0  # readings of people without the enrichment purpose: not stored
    life_events: int = 0  # consent.life_event_detected emitted


def record_enrichment(workspace_id: int, readings: Iterable[FactReading]) -> EnrichmentResult:
    """Store what was read about people, but only of those who may be processed for enrichment, asked here at the
    moment of writing. One row per person, kind and value: a later reading refreshes the row (its expiry, and its
    source, confidence and date when it is newer). A life event found for the first time, or found with a date it
    did not have, is announced as `consent.life_event_detected` in the same transaction.

    Bulk: the consent answer, the existing facts and the writes are a fixed number of queries per call."""
    from rapport.core.events import emit_many

    result = EnrichmentResult()
    now = timezone.now()
    readings = [r for r in readings if r.expires_at > now]
    if not readings:
        return result
    allowed = permitted(workspace_id, {r.person_id for r in readings}, Purpose.ENRICHMENT)
    best: dict[tuple[int, str, str], FactReading] = {}
    for r in readings:
        if r.person_id not in allowed:
            result.refused += 1
            continue
        key = (r.person_id, r.kind, r.value)
        held = best.get(key)
        if held is None or (r.observed_at, r.confidence) > (held.observed_at, held.confidence):
            best[key] = r
    if not best:
        return result
    with transaction.atomic():
        existing = {
            (f.person_id, f.kind, f.value): f
            for f in EnrichmentFact.objects.select_for_update().filter(
                workspace_id=workspace_id,
                person_id__in={k[0] for k in best},
                value__in={k[2] for k in best},
            )
        }
        new, changed, announce = [], [], []
        for key, r in best.items():
            fact = existing.get(key)
            if fact is None:
                new.append(
                    EnrichmentFact(
                        workspace_id=workspace_id,
                        person_id=r.person_id,
                        kind=r.kind,
                        value=r.value,
                        confidence=r.confidence,
                        source_post=r.source_post,
                        source=r.source[:80],
                        evidence=r.evidence[:200],
                        observed_at=r.observed_at,
                        event_date=r.event_date,
                        expires_at=r.expires_at,
                    )
                )
                if r.kind == FactKind.LIFE_EVENT:
                    announce.append(r)
                continue
            newer = fact.observed_at is None or r.observed_at >= fact.observed_at
            dated = r.event_date is not None and r.event_date != fact.event_date and (newer or not fact.event_date)
            expired = fact.expires_at <= now
            if not (newer or dated or expired or r.confidence > fact.confidence):
                continue
            if newer or expired:
                fact.source_post, fact.source, fact.evidence = r.source_post, r.source[:80], r.evidence[:200]
                fact.observed_at = r.observed_at
                fact.confidence = r.confidence if expired else max(fact.confidence, r.confidence)
            else:
                fact.confidence = max(fact.confidence, r.confidence)
            if dated:
                fact.event_date = r.event_date
            fact.expires_at = max(fact.expires_at, r.expires_at)
            fact.updated_at = now
            changed.append(fact)
            if fact.kind == FactKind.LIFE_EVENT and (dated or expired):
                announce.append(r)
        EnrichmentFact.objects.bulk_create(new, batch_size=500)
        EnrichmentFact.objects.bulk_update(
            changed,
            ["confidence", "source_post", "source", "evidence", "observed_at", "event_date", "expires_at"]
            + ["updated_at"],
            batch_size=500,
        )
        # One event per life event, written in one insert whatever the batch's size.
        emit_many(
            "consent.life_event_detected",
            [
                {
                    "workspace_id": workspace_id,
                    "person_id": r.person_id,
                    "value": r.value,
                    "event_date": r.event_date.isoformat() if r.event_date else None,
                    "source_post": r.source_post,
                }
                for r in announce
            ],
        )
    result.created, result.refreshed, result.life_events = len(new), len(changed), len(announce)
    return result


def enrichment_facts(person, *, now: datetime | None = None) -> list[EnrichmentFact]:
    """The person's current (unexpired) facts, surest first; none without their enrichment purpose."""
    if not may_process(person, Purpose.ENRICHMENT):
        return []
    return list(
        EnrichmentFact.objects.filter(person_id=person.pk, expires_at__gt=now or timezone.now()).order_by(
            "kind", "-confidence", "value"
        )
    )


def forget_enrichment(person_ids: Iterable[int]) -> int:
    """Delete every enrichment fact of these people (their enrichment purpose was withdrawn)."""
    n, _ = EnrichmentFact.objects.filter(person_id__in=set(person_ids)).delete()
    return n


def purge_unpermitted_enrichment(workspace_id: int) -> int:
    """Delete the facts of people who may no longer be processed for enrichment (a withdrawal, do-not-track, a
    restriction, a consent that lapsed): the sweep behind the deletion each withdrawal does itself."""
    holders = set(EnrichmentFact.objects.filter(workspace_id=workspace_id).values_list("person_id", flat=True))
    if not holders:
        return 0
    gone = holders - permitted(workspace_id, holders, Purpose.ENRICHMENT)
    return forget_enrichment(gone) if gone else 0


@dataclass(frozen=True)
class EnrichmentView:
    permitted: bool
    facts: list
    suggestions: list


def enrichment_for(person, *, conversation_id: int | None = None) -> EnrichmentView:
    """What the agent may be shown about a person: their current facts and the next-best-action suggestions that
    hold for them in the context of the given (or their open) conversation; nothing without their permission."""
    from rapport.consent.enrichment import actions

    if not may_process(person, Purpose.ENRICHMENT):
        return EnrichmentView(False, [], [])
    facts = enrichment_facts(person)
    context = actions.context_for(person.workspace_id, person.pk, conversation_id) if facts else None
    return EnrichmentView(True, facts, actions.suggestions(person.workspace_id, facts, context))


def granted_people(workspace_id: int, purpose: str, *, recorded_since: datetime | None = None) -> set[int]:
    """Ids of the people whose current word on a processing purpose is a grant (recorded since a time, if given):
    the candidates a batch asks `permitted` about."""
    qs = ConsentState.objects.filter(workspace_id=workspace_id, purpose=purpose, channel="", granted=True)
    if recorded_since is not None:
        qs = qs.filter(event__recorded_at__gte=recorded_since)
    return set(qs.values_list("person_id", flat=True))
