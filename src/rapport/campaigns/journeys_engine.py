"""The journey engine: events enrol people, the job runner moves them along.

Enrolling (event handlers, in the event's delivery transaction): each active journey of the workspace whose trigger
matches gets one `Enrolment` per person who may enter (once ever, or again `reentry_days` after their last entry;
never while a pass is active: a partial unique index says so). Re-delivery of an event enrols nobody twice.

Moving (`tick`, run by the `journeys.tick` job): passes due at `now` are claimed with a lease (one conditional
UPDATE, so two workers never move the same person) and walked step by step until one has to wait. A batch's steps
that only write to the database run in one transaction (a savepoint per pass, so one failing pass is put off alone);
a pass that reaches a message is walked on after that commit, outside it, so its send row is durable before the
mail server gets the message. Every step a pass takes is a `StepRun`, unique per (pass, step), written with or
before the step's effect (an email's row is committed as "sending" before the mail server gets it; a task's note is
written in the row's transaction). A run killed at any point therefore converges when the next run finds the pass
again: a step whose row exists is not done again, and an email found "sending" is marked uncertain and never sent
again.

Goal: a purchase within `goal_days` of entering converts the pass (it leaves the journey, counted as converted).

Time comes from `policy.now()`, one clock for campaigns and journeys that tests replace to run journeys on a
simulated clock; `tick(now=...)` takes it explicitly too."""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_date, parse_datetime

from rapport.campaigns import mail, policy, tracking
from rapport.campaigns.journeys import VALUE_FIELDS
from rapport.campaigns.models import (
    Enrolment,
    EnrolmentStatus,
    Journey,
    JourneyStatus,
    StepRun,
    StepStatus,
)
from rapport.campaigns.rendering import compile_template, context_for, message_hash, render
from rapport.consent import services as consent
from rapport.consent.collection import unsubscribe_headers
from rapport.consent.models import Purpose
from rapport.contacts.models import Person, TouchpointChannel, TouchpointDirection, TouchpointKind
from rapport.contacts.services import log_touchpoints_bulk
from rapport.core import bulk
from rapport.core.actors import Actor
from rapport.core.links import public_url

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH = 500
RETRY_AFTER = timedelta(minutes=5)  # a mail server that could not be reached is tried again after this


# --- enrolling ----------------------------------------------------------------------------------------------------


@dataclass
class Candidate:
    person_id: int
    data: dict[str, Any] = field(default_factory=dict)


def _matches(journey: Journey, c: Candidate) -> bool:
    cfg = journey.trigger_config or {}
    t = journey.trigger
    if t in ("segment_entered", "segment_left"):
        return c.data.get("segment_id") == cfg.get("segment_id")
    if t == "purchase":
        if cfg.get("first_only") and not c.data.get("first"):
            return False
        return not cfg.get("category") or cfg["category"].lower() in c.data.get("categories", ())
    if t == "low_csat":
        return int(c.data.get("score", 99)) <= int(cfg.get("max_score", 2))
    if t == "answer_accepted":
        return c.data.get("who") == cfg.get("who", "asker")
    if t == "life_event":
        return not cfg.get("value") or c.data.get("value") == cfg.get("value")
    return True


def enrol(workspace_id: int, trigger: str, candidates: Iterable[Candidate], *, at: datetime | None = None) -> int:
    """Enrol the candidates in every active journey of the workspace with this trigger; how many passes began."""
    at = at or policy.now()
    candidates = list(candidates)
    if not candidates:
        return 0
    journeys = list(Journey.objects.filter(workspace_id=workspace_id, status=JourneyStatus.ACTIVE, trigger=trigger))
    if not journeys:
        return 0
    live = set(
        Person.objects.filter(
            workspace_id=workspace_id, pk__in={c.person_id for c in candidates}, merged_into__isnull=True
        ).values_list("pk", flat=True)
    )
    made = 0
    for journey in journeys:
        if not journey.steps:
            continue
        chosen: dict[int, Candidate] = {}
        for c in candidates:
            if c.person_id in live and c.person_id not in chosen and _matches(journey, c):
                chosen[c.person_id] = c
        if not chosen:
            continue
        made += _enrol_in(journey, chosen, at)
    return made


def _enrol_in(journey: Journey, chosen: dict[int, Candidate], at: datetime) -> int:
    ids = list(chosen)
    history = {
        pid: (n, last, active)
        for pid, n, last, active in Enrolment.objects.filter(journey=journey, person_id__in=ids)
        .values_list("person_id")
        .annotate(n=Max("seq"), last=Max("entered_at"), active=Count("id", filter=Q(status=EnrolmentStatus.ACTIVE)))
        .values_list("person_id", "n", "last", "active")
        .order_by()
    }
    first = journey.steps[0]["id"]
    rows = []
    for pid in ids:
        n, last, active = history.get(pid, (0, None, 0))
        if active:
            continue
        if n and (journey.reentry_days is None or last > at - timedelta(days=journey.reentry_days)):
            continue
        rows.append(
            [
                journey.workspace_id,
                journey.pk,
                pid,
                n + 1,
                EnrolmentStatus.ACTIVE,
                first,
                at,
                at,
                chosen[pid].data,
                "",
                "",
            ]
        )
    if not rows:
        return 0
    # A concurrent delivery of the same event loses to the unique constraints and enrols nobody twice.
    made = bulk.insert_ignore(Enrolment, ENROL_COLUMNS, rows, conflict=None, returning=["id"])
    return len(made)


ENROL_COLUMNS = (
    "workspace",
    "journey",
    "person",
    "seq",
    "status",
    "step",
    "due_at",
    "entered_at",
    "trigger_data",
    "exit_reason",
    "claim_token",
)


def convert(workspace_id: int, orders: Iterable[tuple[int, datetime, int]]) -> int:
    """A purchase within a journey's goal window of entering converts the pass, whether it is still in the journey or
    went through (or out at an exit step): (person id, ordered at, order id)."""
    by_person: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for pid, at, oid in orders:
        by_person[pid].append((at, oid))
    if not by_person:
        return 0
    passes = Enrolment.objects.filter(
        workspace_id=workspace_id,
        person_id__in=list(by_person),
        status__in=(EnrolmentStatus.ACTIVE, EnrolmentStatus.COMPLETED, EnrolmentStatus.EXITED),
        journey__goal_days__isnull=False,
    ).select_related("journey")
    n = 0
    for e in passes:
        window = timedelta(days=e.journey.goal_days)
        hits = sorted(x for x in by_person[e.person_id] if e.entered_at < x[0] <= e.entered_at + window)
        if not hits:
            continue
        at, oid = hits[0]
        n += Enrolment.objects.filter(pk=e.pk, status=e.status).update(
            status=EnrolmentStatus.CONVERTED, finished_at=at, exit_reason=f"goal: order {oid}", due_at=None
        )
    return n


# --- the event handlers (subscribed in apps.py) -----------------------------------------------------------------------


def _dt(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return parse_datetime(str(value)) if value else None


def on_orders_placed(event: str, payload: dict) -> None:
    ws = payload["workspace_id"]
    orders = [(o["person_id"], _dt(o["ordered_at"]), o["order_id"]) for o in payload.get("orders", [])]
    orders = [o for o in orders if o[0] and o[1]]
    if Enrolment.objects.filter(workspace_id=ws, journey__goal_days__isnull=False).exists():
        convert(ws, orders)
    from rapport.commerce import services as commerce

    if (
        not orders
        or not Journey.objects.filter(workspace_id=ws, status=JourneyStatus.ACTIVE, trigger="purchase").exists()
    ):
        return
    first = commerce.first_orders(workspace_id=ws, person_ids={o[0] for o in orders})
    categories = commerce.order_categories(order_ids=[o[2] for o in orders])
    enrol(
        ws,
        "purchase",
        [
            Candidate(
                pid,
                {
                    "order_id": oid,
                    "ordered_at": at.isoformat(),
                    "first": first.get(pid) == oid,
                    "categories": sorted(categories.get(oid, ())),
                },
            )
            for pid, at, oid in orders
        ],
    )


def on_segment_changed(event: str, payload: dict) -> None:
    trigger = "segment_entered" if event == "segment.entered" else "segment_left"
    sid = payload["segment_id"]
    enrol(payload["workspace_id"], trigger, [Candidate(p, {"segment_id": sid}) for p in payload["person_ids"]])


def on_conversation_resolved(event: str, payload: dict) -> None:
    if payload.get("person_id"):
        data = {"conversation_id": payload.get("conversation_id")}
        enrol(payload["workspace_id"], "conversation_resolved", [Candidate(payload["person_id"], data)])


def on_csat_recorded(event: str, payload: dict) -> None:
    if payload.get("person_id"):
        data = {"conversation_id": payload.get("conversation_id"), "score": int(payload.get("score", 5))}
        enrol(payload["workspace_id"], "low_csat", [Candidate(payload["person_id"], data)])


def on_answer_accepted(event: str, payload: dict) -> None:
    out = []
    data = {"question_id": payload.get("question_id"), "answer_id": payload.get("answer_id")}
    if payload.get("asker_person_id"):
        out.append(Candidate(payload["asker_person_id"], data | {"who": "asker"}))
    if payload.get("answerer_person_id"):
        out.append(Candidate(payload["answerer_person_id"], data | {"who": "answerer"}))
    for c in out:  # the asker and the answerer may be the same person, in two journeys
        enrol(payload["workspace_id"], "answer_accepted", [c])


def on_life_event(event: str, payload: dict) -> None:
    pid = payload.get("person_id")
    if not pid:
        return
    data = {k: payload.get(k) for k in ("value", "event_date", "source_post")}
    enrol(payload["workspace_id"], "life_event", [Candidate(pid, data)])


HANDLERS = {
    "commerce.order_placed": on_orders_placed,
    "segment.entered": on_segment_changed,
    "segment.left": on_segment_changed,
    "conversation.resolved": on_conversation_resolved,
    "conversation.csat_recorded": on_csat_recorded,
    "community.answer_accepted": on_answer_accepted,
    "consent.life_event_detected": on_life_event,
}


# --- moving people along --------------------------------------------------------------------------------------------


@dataclass
class TickResult:
    moved: int = 0
    steps: int = 0
    sent: int = 0
    waiting: int = 0
    finished: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


class _Mailer:
    """One SMTP connection for a tick, opened when the first message goes."""

    def __init__(self) -> None:
        self.connection = None
        self.senders: dict[int, Any] = {}

    def sender(self, workspace_id: int):
        """The workspace's DKIM signer and Message-ID domain, read once a tick."""
        from rapport.campaigns.sending import Sender, sender_for

        if workspace_id not in self.senders:
            try:
                self.senders[workspace_id] = sender_for(workspace_id)
            except (mail.CredentialsUnreadable, ValueError, OSError):
                # A key Rapport can no longer read must not stop every other workspace's journeys: logged, unsigned.
                log.exception("the DKIM key of workspace %s cannot be read: journey mail goes unsigned", workspace_id)
                self.senders[workspace_id] = Sender()
        return self.senders[workspace_id]
        return self.senders[workspace_id]

    def get(self):
        if self.connection is None:
            self.connection = get_connection()
            self.connection.open()
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - a broken connection is closed all the same
                log.debug("closing the mail connection failed", exc_info=True)
            self.connection = None


def claim(now: datetime, *, limit: int = BATCH, workspace_id: int | None = None) -> tuple[str, list[int]]:
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    qs = Enrolment.objects.filter(
        free, status=EnrolmentStatus.ACTIVE, due_at__lte=now, journey__status=JourneyStatus.ACTIVE
    )
    if workspace_id is not None:
        qs = qs.filter(workspace_id=workspace_id)
    ids = list(qs.order_by("due_at", "id").values_list("id", flat=True)[:limit])
    if not ids:
        return "", []
    token = uuid.uuid4().hex
    Enrolment.objects.filter(free, pk__in=ids, status=EnrolmentStatus.ACTIVE).update(
        claimed_until=now + LEASE, claim_token=token
    )
    return token, list(Enrolment.objects.filter(pk__in=ids, claim_token=token).values_list("id", flat=True))


def tick(*, now: datetime | None = None, limit: int = BATCH, workspace_id: int | None = None) -> dict[str, int]:
    """Move every pass due at `now` as far as it can go; claims batch after batch until none is due."""
    now = now or policy.now()
    result = TickResult()
    mailer = _Mailer()
    policies: dict[int, policy.Policy] = {}
    try:
        while True:
            token, ids = claim(now, limit=limit, workspace_id=workspace_id)
            if not ids:
                break
            passes = list(
                Enrolment.objects.filter(pk__in=ids).select_related("journey", "person").order_by("due_at", "id")
            )
            batch = _Batch(passes)
            deferred: list[_Walk] = []
            failed: list[int] = []
            with transaction.atomic():
                for e in passes:
                    pol = policies.get(e.workspace_id) or policies.setdefault(
                        e.workspace_id, policy.policy_for(e.workspace_id)
                    )
                    walk = _Walk(e, token, now, pol, mailer, result, batch=batch, defer_mail=True)
                    try:
                        with transaction.atomic():
                            walk.run()
                    except Exception:
                        log.exception("journey pass %s failed; tried again later", e.pk)
                        failed.append(e.pk)
                        continue
                    batch.take(walk)
                    if walk.deferred:
                        deferred.append(walk)
                    result.moved += 1
                batch.flush(token)
                if failed:
                    Enrolment.objects.filter(pk__in=failed, claim_token=token).update(
                        due_at=now + RETRY_AFTER, claimed_until=None
                    )
            for walk in deferred:  # messages: outside the batch's transaction, each send row committed first
                walk.defer_mail = False
                try:
                    walk.run()
                except Exception:  # a kill is not an Exception: it leaves the claim to its lease
                    log.exception("journey pass %s failed at a message; tried again later", walk.e.pk)
                    Enrolment.objects.filter(pk=walk.e.pk, claim_token=token).update(
                        due_at=now + RETRY_AFTER, claimed_until=None
                    )
    finally:
        mailer.close()
    return result.as_dict()


RUN_FKS = ("workspace", "enrolment", "journey", "person")
RUN_COLUMNS = (*RUN_FKS, "step", "kind", "status", "outcome", "purpose", "message_hash", "at")


class _Batch:
    """What a batch of passes reads once: the step rows they have, and consent answers per purpose and channel."""

    def __init__(self, passes: list[Enrolment]) -> None:
        self.passes = passes
        self.runs: dict[tuple[int, str], StepRun] = {}
        for row in StepRun.objects.filter(enrolment_id__in=[e.pk for e in passes]):
            self.runs[(row.enrolment_id, row.step)] = row
        self._permitted: dict[tuple[int, str, str], set[int]] = {}

        self.new_runs: list[StepRun] = []
        self.waits_done: list[int] = []
        self.updates: list[tuple[Enrolment, dict[str, Any]]] = []

    def take(self, walk: _Walk) -> None:
        """A walk that succeeded: its writes join the batch's."""
        self.new_runs.extend(walk.new_runs.values())
        self.waits_done.extend(walk.waits_done)
        if walk.updates:
            self.updates.append((walk.e, walk.updates))

    def flush(self, token: str) -> None:
        """Write what the batch's walks did: the new step rows in bulk, the ended waits, the passes' new state
        (one UPDATE per distinct state, or a bulk update when the states are many)."""
        bulk.insert(
            StepRun,
            RUN_COLUMNS,
            [[getattr(r, c + "_id" if c in RUN_FKS else c) for c in RUN_COLUMNS] for r in self.new_runs],
        )
        for start in range(0, len(self.waits_done), 500):
            StepRun.objects.filter(pk__in=self.waits_done[start : start + 500], status=StepStatus.WAITING).update(
                status=StepStatus.DONE
            )
        groups: dict[tuple, list[int]] = defaultdict(list)
        for e, fields in self.updates:
            groups[tuple(sorted(fields.items()))].append(e.pk)
        if len(groups) <= 20:
            for key, ids in groups.items():
                for start in range(0, len(ids), 500):
                    Enrolment.objects.filter(pk__in=ids[start : start + 500], claim_token=token).update(**dict(key))
        else:
            names = sorted({k for _, fields in self.updates for k in fields})
            Enrolment.objects.bulk_update([e for e, _ in self.updates], names, batch_size=200)
        self.new_runs, self.waits_done, self.updates = [], [], []

    def permitted(self, workspace_id: int, person_id: int, purpose: str, channel: str) -> bool:
        key = (workspace_id, purpose, channel)
        if key not in self._permitted:
            ids = [e.person_id for e in self.passes if e.workspace_id == workspace_id]
            self._permitted[key] = consent.permitted(workspace_id, ids, purpose, channel)
        return person_id in self._permitted[key]


def _wait_until(step: dict, e: Enrolment, started: datetime, tz=None) -> datetime:
    """When a wait that began at `started` ends; a date is reached at midnight in the workspace's time zone."""
    until = step.get("until")
    if not until:
        return started + timedelta(days=step.get("days", 0), hours=step.get("hours", 0), minutes=step.get("minutes", 0))
    base: date | None = None
    if until == "event_date":
        raw = (e.trigger_data or {}).get("event_date")
        base = parse_date(str(raw)[:10]) if raw else None
    if base is None:
        base = e.entered_at.date()
    day = base + timedelta(days=step.get("offset_days", 0))
    return datetime.combine(day, datetime.min.time(), tzinfo=tz or UTC)


class _Walk:
    """One pass's walk through its steps during a tick."""

    def __init__(
        self,
        e: Enrolment,
        token: str,
        now: datetime,
        pol: policy.Policy,
        mailer: _Mailer,
        result,
        *,
        batch: _Batch | None = None,
        defer_mail: bool = False,
    ) -> None:
        self.e, self.token, self.now, self.policy, self.mailer, self.result = e, token, now, pol, mailer, result
        self.batch = batch
        self.defer_mail = defer_mail  # stop at a message (to walk on outside the batch's transaction)
        self.deferred = False
        self.new_runs: dict[str, StepRun] = {}  # buffered writes, handed to the batch when the walk succeeds
        self.updates: dict[str, Any] = {}
        self.waits_done: list[int] = []
        self.journey = e.journey
        # The walk's own time: when the pass was due (a late tick does not push its waits later), then the end of
        # each wait it passes.
        self.t = min(e.due_at or now, now)
        self.steps = list(self.journey.steps or [])
        self.index = {s["id"]: i for i, s in enumerate(self.steps)}

    # The pass's own row, written only while this walk holds its claim.
    @property
    def buffered(self) -> bool:
        """In a batch's transaction, a walk's writes are collected and written for the whole batch at its end."""
        return self.batch is not None and not self.deferred

    def _save(self, **fields) -> None:
        if self.buffered:
            self.updates.update(fields)
        else:
            Enrolment.objects.filter(pk=self.e.pk, claim_token=self.token).update(**fields)
        for k, v in fields.items():
            setattr(self.e, k, v)

    def _release(self, due: datetime) -> None:
        self._save(due_at=due, claimed_until=None)
        self.result.waiting += 1

    def _finish(self, status: str, reason: str = "") -> None:
        self._save(status=status, finished_at=self.now, due_at=None, claimed_until=None, exit_reason=reason[:200])
        self.result.finished += 1

    def _next_of(self, step_id: str) -> str:
        i = self.index[step_id] + 1
        return self.steps[i]["id"] if i < len(self.steps) else ""

    def _db_row(self, step: dict) -> StepRun:
        """The row another run wrote first (an insert lost to the unique constraint)."""
        return StepRun.objects.get(enrolment=self.e, step=step["id"])

    def _run_row(self, step: dict) -> StepRun | None:
        if self.buffered:  # the batch read them; this walk adds what it writes
            return self.new_runs.get(step["id"]) or self.batch.runs.get((self.e.pk, step["id"]))
        return StepRun.objects.filter(enrolment=self.e, step=step["id"]).first()

    def _new_row(self, step: dict, **fields) -> StepRun | None:
        """The step's row, or None when another run wrote it first (the unique constraint decides). In a batch the
        row is written with the batch's (the batch holds the claims, and read the rows its passes had)."""
        if self.buffered:
            row = StepRun(
                workspace_id=self.e.workspace_id,
                enrolment_id=self.e.pk,
                journey_id=self.e.journey_id,
                person_id=self.e.person_id,
                step=step["id"],
                kind=step["type"],
                at=fields.pop("at", self.now),
                **fields,
            )
            self.new_runs[step["id"]] = row
            return row
        try:
            with transaction.atomic():
                row = StepRun.objects.create(
                    workspace_id=self.e.workspace_id,
                    enrolment=self.e,
                    journey_id=self.e.journey_id,
                    person_id=self.e.person_id,
                    step=step["id"],
                    kind=step["type"],
                    at=fields.pop("at", self.now),
                    **fields,
                )
        except IntegrityError:
            return None
        return row

    def run(self) -> None:
        for _ in range(len(self.steps) + 1):  # branches jump forward only: each step at most once
            sid = self.e.step
            if self.e.status != EnrolmentStatus.ACTIVE:
                return
            if self.e.person.merged_into_id is not None:
                self._finish(EnrolmentStatus.EXITED, "merged into another person")
                return
            if not sid or sid not in self.index:
                self._finish(EnrolmentStatus.COMPLETED, "" if not sid else f"step {sid} no longer exists")
                return
            step = self.steps[self.index[sid]]
            if self.defer_mail and step["type"] in ("email", "invite"):
                self.deferred = True  # walked on after the batch's transaction commits
                return
            nxt = getattr(self, f"_{step['type']}")(step)
            if nxt is None:  # waiting: the step released the pass with its due time
                return
            self.result.steps += 1
            if nxt == "exit":
                self._finish(EnrolmentStatus.EXITED, f"exit at {sid}")
                return
            self._save(step=nxt)
        self._finish(EnrolmentStatus.COMPLETED)

    # --- the steps: each returns the next step id ("" at the end, "exit"), or None when the pass waits ---

    def _wait(self, step: dict) -> str | None:
        row = self._run_row(step)
        if row is None:
            due = _wait_until(step, self.e, self.t, self.policy.tz)
            if due > self.now:
                row = self._new_row(step, status=StepStatus.WAITING, outcome=due.isoformat())
                if row is not None:
                    self._release(due)
                    return None
                row = self._db_row(step)
            else:
                self._new_row(step, status=StepStatus.DONE, outcome="no wait: the date had passed")
                return self._next_of(step["id"])
        if row.status == StepStatus.WAITING:
            due = _dt(row.outcome) or self.now
            if due > self.now:
                self._release(due)
                return None
            if self.buffered:
                self.waits_done.append(row.pk)
            else:
                StepRun.objects.filter(pk=row.pk, status=StepStatus.WAITING).update(status=StepStatus.DONE)
            self.t = max(self.t, due)
        return self._next_of(step["id"])

    def _exit(self, step: dict) -> str:
        self._new_row(step, status=StepStatus.DONE)
        return "exit"

    def _branch(self, step: dict) -> str:
        row = self._run_row(step)
        if row is None:
            yes = self._holds(step.get("condition") or {})
            row = self._new_row(step, status=StepStatus.DONE, outcome="yes" if yes else "no") or self._db_row(step)
        target = step.get("then" if row.outcome == "yes" else "else") or "next"
        return self._next_of(step["id"]) if target == "next" else target

    def _holds(self, cond: dict) -> bool:
        person = self.e.person
        kind = cond.get("kind")
        if kind == "in_segment":
            from rapport.segments.models import SegmentMember

            return SegmentMember.objects.filter(segment_id=cond.get("segment_id"), person_id=person.pk).exists()
        if kind == "consent":
            purpose, channel = cond.get("purpose", ""), cond.get("channel", "email")
            if self.batch is not None and not self.deferred:
                return self.batch.permitted(self.e.workspace_id, person.pk, purpose, channel)
            return consent.may_contact(person, purpose, channel)
        if kind == "purchased":
            from rapport.commerce import services as commerce

            return any(
                at > self.e.entered_at
                for _, at, _ in commerce.orders_since(
                    workspace_id=self.e.workspace_id, person_ids=[person.pk], since=self.e.entered_at
                )
            )
        if kind == "clicked":
            return StepRun.objects.filter(enrolment=self.e, clicked_at__isnull=False).exists()
        if kind == "field":
            return _compare(self._field(cond.get("field", "")), cond.get("op", "eq"), cond.get("value"))
        return False

    def _field(self, name: str) -> Any:
        if name in VALUE_FIELDS:
            from rapport.commerce import services as commerce

            cv = commerce.value_of(workspace=self.e.journey.workspace, person=self.e.person)
            return commerce.value_out(cv).get(name)
        return getattr(self.e.person, name, None)

    def _task(self, step: dict) -> str:
        if self._run_row(step) is None:
            from rapport.care import services as care

            text = render(compile_template(step.get("text", "")), self._context())
            try:
                with transaction.atomic():
                    if self.buffered:
                        self._new_row(step, status=StepStatus.DONE, outcome="note for the agents")
                    else:
                        self._new_row_strict(step, status=StepStatus.DONE, outcome="note for the agents")
                    care.add_system_note(
                        workspace=self.e.journey.workspace,
                        person_id=self.e.person_id,
                        text=f"Journey “{self.journey.name}”: {text}",
                        label=f"journey {self.journey.name}"[:200],
                        tag="journey",
                    )
            except IntegrityError:
                pass  # another run wrote this step first: its note is the one
        return self._next_of(step["id"])

    def _new_row_strict(self, step: dict, **fields) -> StepRun:
        return StepRun.objects.create(
            workspace_id=self.e.workspace_id,
            enrolment=self.e,
            journey_id=self.e.journey_id,
            person_id=self.e.person_id,
            step=step["id"],
            kind=step["type"],
            at=self.now,
            **fields,
        )

    def _invite(self, step: dict) -> str | None:
        return self._email(step, purpose=Purpose.COMMUNITY)

    def _context(self) -> dict[str, str]:
        ctx = context_for(self.e.person)
        data = self.e.trigger_data or {}
        ctx["event_date"] = str(data.get("event_date") or "")
        ctx["life_event"] = str(data.get("value") or "").replace("_", " ")
        ctx["community_url"] = community_url(self.e.journey.workspace.slug)
        return ctx

    def _email(self, step: dict, *, purpose: str | None = None) -> str | None:
        purpose = purpose or self.journey.purpose
        channel = self.journey.channel
        nxt = self._next_of(step["id"])
        row = self._run_row(step)
        if row is not None:
            if row.status == StepStatus.SENDING:  # a run died mid-hand-over: it may have gone, so never again
                StepRun.objects.filter(pk=row.pk, status=StepStatus.SENDING).update(status=StepStatus.UNCERTAIN)
            return nxt
        quiet = self.policy.quiet_until(self.now)
        if quiet is not None:
            self._release(quiet)
            return None
        person = self.e.person
        if not person.email:
            self._new_row(step, status=StepStatus.NO_ADDRESS, purpose=purpose)
            return nxt
        if person.pk in consent.suppressed_people(self.e.workspace_id, [person.pk], channel) or not consent.may_contact(
            person, purpose, channel
        ):
            self._new_row(step, status=StepStatus.NO_CONSENT, purpose=purpose)
            return nxt
        if (
            self.policy.capped(purpose)
            and policy.recent_counts(self.policy, [person.pk], self.now)[person.pk] >= self.policy.cap_messages
        ):
            if self.journey.when_capped == "delay":  # the pass waits at this step until the cap allows the email
                self._release(policy.next_permitted(self.policy, person.pk, self.now))
                return None
            self._new_row(step, status=StepStatus.CAPPED, purpose=purpose)
            return nxt
        ctx = self._context()
        subject = " ".join(render(compile_template(step.get("subject", "")), ctx).split())[:300]
        body = render(compile_template(step.get("body", "")), ctx)
        row = self._new_row(step, status=StepStatus.SENDING, purpose=purpose, message_hash=message_hash(subject, body))
        if row is None:
            return nxt
        try:
            self._deliver(row, step, person, purpose, channel, subject, body)
        except (smtplib.SMTPException, OSError) as exc:
            if (
                isinstance(exc, smtplib.SMTPResponseException)
                and exc.smtp_code >= 500
                or (
                    isinstance(exc, smtplib.SMTPRecipientsRefused)
                    and all(code >= 500 for code, _ in exc.recipients.values())
                )
            ):
                StepRun.objects.filter(pk=row.pk).update(status=StepStatus.FAILED, outcome=str(exc)[:200])
                return nxt
            # Not handed over: the row goes and the step is tried again later.
            StepRun.objects.filter(pk=row.pk, status=StepStatus.SENDING).delete()
            self.mailer.close()
            self._release(self.now + RETRY_AFTER)
            return None
        with transaction.atomic():
            StepRun.objects.filter(pk=row.pk).update(status=StepStatus.SENT)
            log_touchpoints_bulk(
                workspace=self.e.journey.workspace,
                actor=Actor.system(f"journey {self.journey.name}"[:200]),
                kind=TouchpointKind.EMAIL,
                channel=TouchpointChannel.EMAIL,
                direction=TouchpointDirection.OUTBOUND,
                source="journey",
                entries=[
                    {
                        "person_id": person.pk,
                        "occurred_at": self.now,
                        "title": subject,
                        "source_id": self.journey.pk,
                        "data": {"journey_id": self.journey.pk, "step": step["id"], "step_run_id": row.pk},
                    }
                ],
            )
        self.result.sent += 1
        return nxt

    def _deliver(self, row: StepRun, step, person, purpose, channel, subject, body) -> None:
        links = tracking.links_of(step.get("body", ""))
        text = tracking.rewrite(body, links, row.pk, journey=True)
        headers = unsubscribe_headers(person, purpose, channel)
        footer = f"\n\n--\nTo stop receiving these messages: {headers['List-Unsubscribe'].strip('<>')}\n"
        sender = self.mailer.sender(self.e.workspace_id)
        headers["Message-ID"] = mail.message_id("j", row.pk, sender.domain)
        msg = mail.new_message(
            subject,
            text + footer,
            settings.DEFAULT_FROM_EMAIL,
            [person.email],
            headers=headers,
            connection=self.mailer.get(),
            signer=sender.signer,
        )
        msg.send()


def community_url(slug: str) -> str:
    try:
        return public_url(reverse("community:index", kwargs={"ws": slug}))
    except NoReverseMatch:
        return public_url("/")


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if op == "contains":
        if isinstance(actual, list):
            return str(expected).lower() in [str(a).lower() for a in actual]
        return str(expected).lower() in str(actual or "").lower()
    if op in ("gte", "lte"):
        try:
            a, b = float(actual or 0), float(expected)
        except (TypeError, ValueError):
            return False
        return a >= b if op == "gte" else a <= b
    same = str(actual or "").lower() == str(expected or "").lower()
    return same if op == "eq" else not same
