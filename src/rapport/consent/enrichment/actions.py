"""Next-best-action: the rules an admin edits, matched against a person's current facts and the context the agent
is in (the open conversation's tags and what the customer wrote), each suggestion with why it matched.

The context comes from the inbox, which lives floors above consent: care registers a provider with
`register_context` in its `ready`, and consent asks it for a person (and a conversation, when the agent has one
open). Without a provider, or without an open conversation, rules that need a context do not match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from rapport.consent.enrichment import taxonomy
from rapport.consent.models import ActionRule, ActionRuleSeeding, EnrichmentFact, FactKind


@dataclass(frozen=True)
class Context:
    """What the agent is looking at: an open conversation's tags and the customer's words in it."""

    conversation_id: int | None = None
    tags: tuple[str, ...] = ()
    text: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Suggestion:
    rule_id: int
    name: str
    action: str
    because: str
    reasons: tuple[str, ...] = field(default_factory=tuple)


ContextFn = Callable[[int, int, int | None], Context | None]
_CONTEXT: list[ContextFn] = []


def register_context(fn: ContextFn) -> None:
    """fn(workspace_id, person_id, conversation_id or None) -> the context of the person's (given or open)
    conversation, or None."""
    if fn not in _CONTEXT:
        _CONTEXT.append(fn)


def context_for(workspace_id: int, person_id: int, conversation_id: int | None = None) -> Context | None:
    for fn in _CONTEXT:
        found = fn(workspace_id, person_id, conversation_id)
        if found is not None:
            return found
    return None


# --- the defaults -------------------------------------------------------------------------------------------------

REPAIR_WORDS = ["repair", "reparation", "reparatur", "reparatie", "réparation", "reparación", "reparasjon"]
CAMERA_WORDS = ["camera", "kamera", "lens", "objektiv", "objectief", "objectif", "cámara", "appareil photo"]
DEFAULT_RULES: tuple[dict, ...] = (
    {
        "key": "loan-camera",
        "name": "Wedding while the camera is in repair",
        "action": "Offer a loan camera for the wedding while theirs is in repair.",
        "life_event": "wedding",
        "within_days": 7,
        "conversation_tags": ["repair"],
        "keywords": REPAIR_WORDS,
        "position": 10,
    },
    {
        "key": "telephoto-lens",
        "name": "Wildlife photographer asking about cameras",
        "action": "Suggest the telephoto lens (and the wildlife kit) with the camera.",
        "interest": "wildlife_photography",
        "conversation_tags": ["cameras"],
        "keywords": CAMERA_WORDS,
        "position": 20,
    },
    {
        "key": "moving-service",
        "name": "Moving house",
        "action": "Offer to move their service to the new address, and say what is available there.",
        "life_event": "moving_house",
        "within_days": 30,
        "position": 30,
    },
    {
        "key": "new-baby",
        "name": "New baby",
        "action": "Congratulate them; mention the family plan and the parental-leave pause.",
        "life_event": "new_baby",
        "within_days": 60,
        "position": 40,
    },
)


def ensure_defaults(workspace_id: int) -> None:
    """Give a workspace the default rules the first time it is asked for its rules, and never again."""
    if not ActionRuleSeeding.objects.filter(workspace_id=workspace_id).exists():
        try:
            with transaction.atomic():
                ActionRuleSeeding.objects.create(workspace_id=workspace_id)
                for spec in DEFAULT_RULES:
                    ActionRule.objects.create(workspace_id=workspace_id, **spec)
        except IntegrityError:  # another process seeded it first
            pass


def rules(workspace_id: int, *, active_only: bool = False) -> list[ActionRule]:
    ensure_defaults(workspace_id)
    qs = ActionRule.objects.filter(workspace_id=workspace_id)
    return list(qs.filter(active=True) if active_only else qs)


def validate(
    *,
    life_event: str,
    within_days: int | None,
    interest: str,
    conversation_tags: list,
    keywords: list,
    context_match: str = "any",
) -> dict[str, str]:
    """Field errors of a rule, by field name (empty when it is sound)."""
    errors: dict[str, str] = {}
    if context_match not in ("any", "all"):
        errors["context_match"] = "any (a tag or a word) or all (a tag and a word)"
    elif context_match == "all" and not (conversation_tags and keywords):
        errors["context_match"] = "all needs both conversation tags and words; with only one of them use any"
    if life_event and life_event not in taxonomy.LIFE_EVENT_VALUES:
        errors["life_event"] = f"one of {', '.join(taxonomy.LIFE_EVENT_VALUES)}"
    if interest and interest not in taxonomy.INTEREST_VALUES:
        errors["interest"] = f"one of {', '.join(taxonomy.INTEREST_VALUES)}"
    if not life_event and not interest:
        errors["life_event"] = "a rule needs a life event or an interest: it acts on what enrichment found"
    if within_days is not None and not life_event:
        errors["within_days"] = "applies to a life event"
    if within_days is not None and not 0 <= within_days <= 3650:
        errors["within_days"] = "between 0 and 3650"
    for name, values in (("conversation_tags", conversation_tags), ("keywords", keywords)):
        if len(values) > 50 or any(not str(v).strip() or len(str(v)) > 60 for v in values):
            errors[name] = "at most 50 words of 1 to 60 characters"
    return errors


# What a rule is made of, as the settings form, the API and their audit rows name it.
RULE_FIELDS = (
    "name",
    "action",
    "life_event",
    "within_days",
    "interest",
    "conversation_tags",
    "keywords",
    "context_match",
    "active",
)


def normalise(data: dict) -> dict[str, str]:
    """Put a rule's fields in their stored form in place (words cleaned, blanks as "", context "any" by default)
    and return its field errors: the one check the settings form and the API both make."""
    data["life_event"], data["interest"] = data.get("life_event") or "", data.get("interest") or ""
    data["conversation_tags"] = clean_words(data.get("conversation_tags") or [])
    data["keywords"] = clean_words(data.get("keywords") or [])
    data["context_match"] = data.get("context_match") or "any"
    return validate(
        life_event=data["life_event"],
        within_days=data.get("within_days"),
        interest=data["interest"],
        conversation_tags=data["conversation_tags"],
        keywords=data["keywords"],
        context_match=data["context_match"],
    )


def clean_words(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for v in values:
        w = str(v).strip().lower()
        if w and w not in seen:
            seen.append(w)
    return seen


# --- matching -----------------------------------------------------------------------------------------------------


def _label(value: str) -> str:
    kind = taxonomy.BY_VALUE.get(value)
    return kind.label.lower() if kind else value.replace("_", " ")


def _in_days(when: date, today: date) -> str:
    days = (when - today).days
    if days == 0:
        return "today"
    if days > 0:
        return f"in {days} day{'s' if days != 1 else ''}"
    return f"{-days} day{'s' if days != -1 else ''} ago"


def _context_reason(rule: ActionRule, context: Context | None) -> str | None:
    """Why the context holds ("conversation tagged repair", "the customer wrote “camera”"), "" when the rule asks
    for none, None when it does not hold. By default a tag or a word is the topic; a rule whose `context_match` is
    "all" and that names both needs one of its tags and one of its words (tagged repair and "camera" written)."""
    tags = [t.lower() for t in rule.conversation_tags or []]
    words = [w.lower() for w in rule.keywords or []]
    if not tags and not words:
        return ""
    if context is None:
        return None
    have = {t.lower() for t in context.tags}
    tagged = next((f"the conversation is tagged {tag}" for tag in tags if tag in have), None)
    text = f"{context.subject}\n{context.text}"
    wrote = next(
        (f"the customer wrote “{w}”" for w in words if re.search(rf"(?<!\w){re.escape(w)}", text, re.IGNORECASE)),
        None,
    )
    if rule.context_match == "all" and tags and words:
        return f"{tagged} and {wrote}" if tagged and wrote else None
    return tagged or wrote


def match(rule: ActionRule, facts: list[EnrichmentFact], context: Context | None, *, today: date) -> Suggestion | None:
    reasons: list[str] = []
    if rule.life_event:
        hits = [f for f in facts if f.kind == FactKind.LIFE_EVENT and f.value == rule.life_event]
        if rule.within_days is not None:
            hits = [f for f in hits if f.event_date and abs((f.event_date - today).days) <= rule.within_days]
        if not hits:
            return None
        f = max(hits, key=lambda x: x.confidence)
        when = f" {_in_days(f.event_date, today)} ({f.event_date.isoformat()})" if f.event_date else ""
        reasons.append(f"{_label(f.value)}{when}, confidence {f.confidence:.0%}")
    if rule.interest:
        hits = [f for f in facts if f.kind == FactKind.INTEREST and f.value == rule.interest]
        if not hits:
            return None
        f = max(hits, key=lambda x: x.confidence)
        reasons.append(f"interested in {_label(f.value)}, confidence {f.confidence:.0%}")
    why = _context_reason(rule, context)
    if why is None:
        return None
    if why:
        reasons.append(why)
    return Suggestion(rule.pk, rule.name, rule.action, "; ".join(reasons), tuple(reasons))


def suggestions(
    workspace_id: int, facts: list[EnrichmentFact], context: Context | None, *, today: date | None = None
) -> list[Suggestion]:
    """The active rules that hold for these facts in this context, in the admin's order. The caller passes facts
    it may show (consent's `enrichment_facts`), so nobody without the enrichment purpose gets a suggestion."""
    if not facts:
        return []
    today = today or timezone.localdate()
    found = (match(r, facts, context, today=today) for r in rules(workspace_id, active_only=True))
    return [s for s in found if s is not None]
