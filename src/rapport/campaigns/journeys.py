"""Journeys: what they are made of and how they are written. A journey has one trigger, a list of steps, a consent
purpose for its messages, a re-entry rule and an optional goal (a purchase within N days of entering).

Triggers (the event that enrols a person, and what its `trigger_config` may narrow):
- `purchase` (commerce.order_placed) — {"first_only": true} for a first purchase only, {"category": "Cameras"}
  for an order with a product of that category;
- `segment_entered` / `segment_left` (segment.entered / segment.left) — {"segment_id"};
- `conversation_resolved` (conversation.resolved);
- `low_csat` (conversation.csat_recorded) — {"max_score": 2}, the highest score that counts as low;
- `answer_accepted` (community.answer_accepted) — {"who": "asker" | "answerer"};
- `life_event` (consent.life_event_detected, a consented life event) — {"value": "moving_house" ...} or any.

Steps, each {"id", "type", ...}; a person goes to the next step unless a branch sends them elsewhere:
- `wait`: {"days", "hours", "minutes"}, or {"until": "event_date" | "entered", "offset_days"} (a date relative to
  the trigger's event; a date already past does not wait);
- `branch`: {"condition": {...}, "then": step id | "next" | "exit", "else": ...}, conditions
  {"kind": "in_segment", "segment_id"}, {"kind": "consent", "purpose", "channel"},
  {"kind": "field", "field", "op": eq|neq|gte|lte|contains, "value"} (the person's fields, tags, or value fields such
  as total_spend and orders), {"kind": "purchased"} (since entering), {"kind": "clicked"} (a link of this pass's
  messages). Branches only jump forward, so no journey loops;
- `email`: {"subject", "body"} in the campaigns' sandboxed template language (the person's fields, and
  {{ event_date }}, {{ life_event }}, {{ community_url }}); consent is checked as it goes, caps and quiet hours apply;
- `invite`: an email inviting the person to the community (purpose community), {"subject", "body"} optional;
- `task`: {"text"}, a note for the agents on the person's conversation (opened if they have none);
- `exit`: the pass ends here."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from rapport.campaigns.models import Journey, JourneyStatus
from rapport.campaigns.rendering import TemplateError, compile_template
from rapport.consent.models import ContactChannel, Purpose
from rapport.core.actors import Actor
from rapport.core.errors import FieldErrors
from rapport.core.models import Workspace
from rapport.core.services import record_audit
from rapport.segments.models import Segment

TRIGGERS = {
    "purchase": "A purchase (first or any)",
    "segment_entered": "Entered a segment",
    "segment_left": "Left a segment",
    "conversation_resolved": "A care conversation was resolved",
    "low_csat": "A low satisfaction score",
    "answer_accepted": "A community answer was accepted",
    "life_event": "A consented life event",
}
LIFE_EVENTS = ("wedding", "moving_house", "new_baby", "new_job")
STEP_TYPES = ("wait", "branch", "email", "invite", "task", "exit")
CONDITIONS = ("in_segment", "consent", "field", "purchased", "clicked")
OPS = ("eq", "neq", "gte", "lte", "contains")
VALUE_FIELDS = ("orders", "total_spend", "clv_12m", "p_alive", "points_balance", "tier")
PERSON_FIELDS = ("first_name", "last_name", "email", "city", "country", "lifecycle_stage", "tags", "customer_number")
MAX_STEPS = 50
STEP_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
INVITE_SUBJECT = "Join our community, {{ first_name }}"
INVITE_BODY = (
    "Hello {{ first_name }},\n\nOther customers share how they get the most from what they bought, and answer each "
    "other's questions. You are welcome to join them: {{ community_url }}\n"
)
CHANNELS = (ContactChannel.EMAIL,)


def _int(errors: dict[str, str], key: str, value: Any, *, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        errors[key] = "a whole number"
        return None
    if not low <= n <= high:
        errors[key] = f"from {low} to {high}"
        return None
    return n


def _template(errors: dict[str, str], key: str, source: str) -> None:
    try:
        compile_template(source)
    except TemplateError as exc:
        errors[key] = f"template error: {exc}"


def _clean_trigger(workspace: Workspace, errors: dict[str, str], trigger: str, config: dict) -> dict:
    if trigger not in TRIGGERS:
        errors["trigger"] = f"unknown trigger {trigger!r}: one of {', '.join(TRIGGERS)}"
        return {}
    config = dict(config or {})
    out: dict[str, Any] = {}
    if trigger in ("segment_entered", "segment_left"):
        sid = config.get("segment_id")
        if not isinstance(sid, int) or not Segment.objects.filter(workspace=workspace, pk=sid).exists():
            errors["trigger_config.segment_id"] = f"unknown segment {sid!r}"
        out["segment_id"] = sid
    elif trigger == "purchase":
        out["first_only"] = bool(config.get("first_only", False))
        category = str(config.get("category") or "").strip()
        if len(category) > 300:
            errors["trigger_config.category"] = "at most 300 characters"
        if category:
            out["category"] = category
    elif trigger == "low_csat":
        n = _int(errors, "trigger_config.max_score", config.get("max_score", 2), low=1, high=4)
        out["max_score"] = n or 2
    elif trigger == "answer_accepted":
        who = config.get("who") or "asker"
        if who not in ("asker", "answerer"):
            errors["trigger_config.who"] = "asker or answerer"
        out["who"] = who
    elif trigger == "life_event":
        value = config.get("value") or ""
        if value and value not in LIFE_EVENTS:
            errors["trigger_config.value"] = f"unknown life event {value!r}: one of {', '.join(LIFE_EVENTS)}"
        out["value"] = value
    return out


def _clean_condition(workspace: Workspace, errors: dict[str, str], key: str, cond: Any) -> dict:
    if not isinstance(cond, dict) or cond.get("kind") not in CONDITIONS:
        errors[f"{key}.kind"] = f"a condition kind: one of {', '.join(CONDITIONS)}"
        return {}
    kind = cond["kind"]
    if kind == "in_segment":
        sid = cond.get("segment_id")
        if not isinstance(sid, int) or not Segment.objects.filter(workspace=workspace, pk=sid).exists():
            errors[f"{key}.segment_id"] = f"unknown segment {sid!r}"
        return {"kind": kind, "segment_id": sid}
    if kind == "consent":
        purpose, channel = cond.get("purpose") or "", cond.get("channel") or "email"
        if purpose not in Purpose.values:
            errors[f"{key}.purpose"] = f"unknown purpose {purpose!r}"
        if channel not in ContactChannel.values:
            errors[f"{key}.channel"] = f"unknown channel {channel!r}"
        return {"kind": kind, "purpose": purpose, "channel": channel}
    if kind == "field":
        field, op = cond.get("field") or "", cond.get("op") or "eq"
        if field not in PERSON_FIELDS + VALUE_FIELDS:
            errors[f"{key}.field"] = f"unknown field {field!r}: one of {', '.join(PERSON_FIELDS + VALUE_FIELDS)}"
        if op not in OPS:
            errors[f"{key}.op"] = f"unknown operator {op!r}: one of {', '.join(OPS)}"
        if op in ("gte", "lte"):
            try:
                float(cond.get("value"))
            except (TypeError, ValueError):
                errors[f"{key}.value"] = f"{op} compares with a number"
        return {"kind": kind, "field": field, "op": op, "value": cond.get("value")}
    return {"kind": kind}


def clean_steps(workspace: Workspace, steps: Any, errors: dict[str, str]) -> list[dict]:
    if not isinstance(steps, list) or not steps:
        errors["steps"] = "a journey needs at least one step"
        return []
    if len(steps) > MAX_STEPS:
        errors["steps"] = f"at most {MAX_STEPS} steps"
        return []
    out: list[dict] = []
    ids: list[str] = []
    for i, raw in enumerate(steps):
        sid = str((raw or {}).get("id") or f"s{i + 1}") if isinstance(raw, dict) else f"s{i + 1}"
        if not STEP_ID.match(sid) or sid in ("next", "exit"):
            errors[f"steps.{i}.id"] = "1 to 40 letters, digits, dashes or underscores (not next or exit)"
        elif sid in ids:
            errors[f"steps.{i}.id"] = f"step id {sid!r} is used twice"
        ids.append(sid)
    for i, raw in enumerate(steps):
        key = f"steps.{i}"
        if not isinstance(raw, dict) or raw.get("type") not in STEP_TYPES:
            errors[f"{key}.type"] = f"a step type: one of {', '.join(STEP_TYPES)}"
            continue
        kind = raw["type"]
        step: dict[str, Any] = {"id": ids[i], "type": kind}
        if raw.get("label"):
            step["label"] = str(raw["label"])[:100]
        if kind == "wait":
            until = raw.get("until") or ""
            if until:
                if until not in ("event_date", "entered"):
                    errors[f"{key}.until"] = "event_date or entered"
                step["until"] = until
                step["offset_days"] = (
                    _int(errors, f"{key}.offset_days", raw.get("offset_days", 0), low=-365, high=365) or 0
                )
            else:
                d = _int(errors, f"{key}.days", raw.get("days"), low=0, high=3650) or 0
                h = _int(errors, f"{key}.hours", raw.get("hours"), low=0, high=24 * 365) or 0
                m = _int(errors, f"{key}.minutes", raw.get("minutes"), low=0, high=60 * 24 * 365) or 0
                if not (d or h or m) and f"{key}.days" not in errors:
                    errors[f"{key}.days"] = "a wait needs days, hours or minutes, or a date to wait until"
                step |= {"days": d, "hours": h, "minutes": m}
        elif kind == "branch":
            step["condition"] = _clean_condition(workspace, errors, f"{key}.condition", raw.get("condition"))
            for arm in ("then", "else"):
                target = raw.get(arm) or "next"
                if target not in ("next", "exit"):
                    if target not in ids:
                        errors[f"{key}.{arm}"] = f"unknown step {target!r}"
                    elif ids.index(target) <= i:
                        errors[f"{key}.{arm}"] = "a branch jumps forward only (to a later step)"
                step[arm] = target
        elif kind in ("email", "invite"):
            subject = raw.get("subject") or (INVITE_SUBJECT if kind == "invite" else "")
            body = raw.get("body") or (INVITE_BODY if kind == "invite" else "")
            for field, source in (("subject", subject), ("body", body)):
                if not str(source).strip():
                    errors[f"{key}.{field}"] = f"an email needs a {field}"
                else:
                    _template(errors, f"{key}.{field}", str(source))
            step |= {"subject": str(subject)[:300], "body": str(body)}
        elif kind == "task":
            text = str(raw.get("text") or "").strip()
            if not text:
                errors[f"{key}.text"] = "a task needs a text for the agent"
            else:
                _template(errors, f"{key}.text", text)
            step["text"] = text[:2000]
        out.append(step)
    return out


WHEN_CAPPED = {
    "skip": "skip the email (the pass goes on to the next step)",
    "delay": "delay the email until the cap allows it (the pass waits at the step)",
}


def clean(workspace: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = "a journey needs a name"
    trigger = data.get("trigger") or ""
    config = _clean_trigger(workspace, errors, trigger, data.get("trigger_config") or {})
    purpose = data.get("purpose") or "offers"
    if purpose not in Purpose.values:
        errors["purpose"] = f"unknown purpose {purpose!r}: one of {', '.join(Purpose.values)}"
    channel = data.get("channel") or "email"
    if channel not in CHANNELS:
        errors["channel"] = f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}"
    status = data.get("status") or JourneyStatus.DRAFT
    if status not in JourneyStatus.values:
        errors["status"] = f"unknown status {status!r}: one of {', '.join(JourneyStatus.values)}"
    reentry = _int(errors, "reentry_days", data.get("reentry_days"), low=1, high=3650)
    goal = _int(errors, "goal_days", data.get("goal_days"), low=1, high=365)
    when_capped = data.get("when_capped") or "skip"
    if when_capped not in WHEN_CAPPED:
        errors["when_capped"] = f"unknown choice {when_capped!r}: one of {', '.join(WHEN_CAPPED)}"
    steps = clean_steps(workspace, data.get("steps"), errors)
    if errors:
        raise FieldErrors(errors)
    return {
        "name": name[:200],
        "trigger": trigger,
        "trigger_config": config,
        "purpose": purpose,
        "channel": channel,
        "status": status,
        "reentry_days": reentry,
        "goal_days": goal,
        "when_capped": when_capped,
        "steps": steps,
    }


@transaction.atomic
def create_journey(*, workspace: Workspace, actor: Actor, data: dict[str, Any]) -> Journey:
    journey = Journey.objects.create(workspace=workspace, created_by=actor.label, **clean(workspace, data))
    record_audit(
        workspace=workspace,
        actor=actor,
        action="journey.created",
        object_type="journey",
        object_id=journey.pk,
        after={"name": journey.name, "trigger": journey.trigger, "status": journey.status},
    )
    return journey


@transaction.atomic
def update_journey(*, journey: Journey, actor: Actor, data: dict[str, Any]) -> Journey:
    """Change a journey. People already in it stay on the step they are at; a step id that no longer exists ends
    their pass when the engine next looks at them."""
    current = {
        "name": journey.name,
        "trigger": journey.trigger,
        "trigger_config": journey.trigger_config,
        "purpose": journey.purpose,
        "channel": journey.channel,
        "status": journey.status,
        "reentry_days": journey.reentry_days,
        "goal_days": journey.goal_days,
        "when_capped": journey.when_capped,
        "steps": journey.steps,
    }
    cleaned = clean(journey.workspace, current | {k: v for k, v in data.items() if k in current})
    for k, v in cleaned.items():
        setattr(journey, k, v)
    journey.save()
    record_audit(
        workspace=journey.workspace,
        actor=actor,
        action="journey.updated",
        object_type="journey",
        object_id=journey.pk,
        before={k: current[k] for k in ("name", "status", "trigger")},
        after={k: cleaned[k] for k in ("name", "status", "trigger")},
    )
    return journey


# --- counts for the map and the API -------------------------------------------------------------------------------


def counts(journey: Journey) -> dict[str, Any]:
    """The journey's totals (entered, active, completed, converted, exited, conversion) and per step: reached (passes
    that got to it), waiting (active passes at it now), sent (messages handed over), skipped (not sent: no consent,
    no address, capped), yes/no of a branch, and converted (passes that reached it and then the goal)."""
    from django.db.models import Count

    from rapport.campaigns.models import Enrolment, EnrolmentStatus, StepRun, StepStatus

    by_status = dict(Enrolment.objects.filter(journey=journey).values_list("status").annotate(n=Count("id")).order_by())
    entered = sum(by_status.values())
    at_step = dict(
        Enrolment.objects.filter(journey=journey, status=EnrolmentStatus.ACTIVE)
        .values_list("step")
        .annotate(n=Count("id"))
        .order_by()
    )
    runs: dict[str, dict[str, int]] = {}
    for step, status, outcome, n in (
        StepRun.objects.filter(journey=journey)
        .values_list("step", "status", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    ):
        r = runs.setdefault(step, {})
        r[status] = r.get(status, 0) + n
        if outcome in ("yes", "no"):
            r[outcome] = r.get(outcome, 0) + n
    converted_at = dict(
        StepRun.objects.filter(journey=journey, enrolment__status=EnrolmentStatus.CONVERTED)
        .values_list("step")
        .annotate(n=Count("id"))
        .order_by()
    )
    sent_states = (StepStatus.SENT, StepStatus.UNCERTAIN)
    skipped_states = (StepStatus.NO_CONSENT, StepStatus.NO_ADDRESS, StepStatus.CAPPED, StepStatus.FAILED)
    steps = []
    for step in journey.steps or []:
        r = runs.get(step["id"], {})
        steps.append(
            {
                "id": step["id"],
                "type": step["type"],
                "label": describe(step),
                "reached": sum(n for k, n in r.items() if k not in ("yes", "no")),
                "waiting": at_step.get(step["id"], 0),
                "sent": sum(r.get(s, 0) for s in sent_states),
                "skipped": sum(r.get(s, 0) for s in skipped_states),
                "yes": r.get("yes", 0),
                "no": r.get("no", 0),
                "converted": converted_at.get(step["id"], 0),
            }
        )
    converted = by_status.get(EnrolmentStatus.CONVERTED, 0)
    return {
        "entered": entered,
        "active": by_status.get(EnrolmentStatus.ACTIVE, 0),
        "completed": by_status.get(EnrolmentStatus.COMPLETED, 0),
        "converted": converted,
        "exited": by_status.get(EnrolmentStatus.EXITED, 0),
        "conversion": round(converted / entered, 4) if entered else 0.0,
        "steps": steps,
    }


def describe(step: dict) -> str:
    """A short line naming what a step does, for the map."""
    if step.get("label"):
        return step["label"]
    kind = step["type"]
    if kind == "wait":
        if step.get("until"):
            off = step.get("offset_days", 0)
            base = "the event's date" if step["until"] == "event_date" else "entry"
            return (
                f"Wait until {abs(off)} days {'before' if off < 0 else 'after'} {base}" if off else f"Wait until {base}"
            )
        parts = [f"{step[u]} {u}" for u in ("days", "hours", "minutes") if step.get(u)]
        return "Wait " + ", ".join(parts)
    if kind == "branch":
        c = step.get("condition") or {}
        what = {
            "in_segment": f"in segment {c.get('segment_id')}",
            "consent": f"consent to {c.get('purpose')} by {c.get('channel')}",
            "field": f"{c.get('field')} {c.get('op')} {c.get('value')}",
            "purchased": "purchased since entering",
            "clicked": "clicked a link",
        }.get(c.get("kind"), "?")
        return f"If {what}"
    if kind in ("email", "invite"):
        return ("Invite: " if kind == "invite" else "Email: ") + step.get("subject", "")[:60]
    if kind == "task":
        return "Task: " + step.get("text", "")[:60]
    return "Exit"
