"""API shapes of consent and privacy."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from rapport.contacts.schemas import ContactIn
from rapport.core.apitypes import Id, Text

PurposeName = Literal["service", "newsletter", "offers", "enrichment", "profiling", "surveys", "community"]
ChannelName = Literal["", "email", "sms", "phone", "post", "social_dm", "advertising"]
SourceName = Literal["form", "import", "agent", "api", "double_opt_in", "preference_centre", "unsubscribe", "dpo"]
KindName = Literal["access", "erasure", "rectification", "restriction", "objection"]


class Error(Schema):
    detail: str


class ConsentIn(Schema):
    purpose: PurposeName
    channel: ChannelName = ""
    granted: bool
    source: SourceName = "api"
    wording: Text(5000) = ""  # type: ignore[valid-type]
    wording_version: Text(32) = ""  # type: ignore[valid-type]
    occurred_at: datetime | None = Field(None, description="When it was given or withdrawn (imports keep their dates)")


class ConsentEventOut(Schema):
    id: int
    purpose: str
    channel: str
    granted: bool
    source: str
    wording: str
    wording_version: str
    evidence: dict[str, Any]
    recorded_by: str
    occurred_at: datetime
    recorded_at: datetime


class ConsentStateOut(Schema):
    purpose: str
    channel: str
    granted: bool
    basis: str
    since: datetime
    evidence: ConsentEventOut


class PurposeOut(Schema):
    purpose: str
    label: str
    basis: str
    may_process: bool


class FlagsOut(Schema):
    do_not_contact: bool
    do_not_track: bool
    restricted: bool


class ConsentsOut(Schema):
    contact_id: int
    current: list[ConsentStateOut]
    purposes: list[PurposeOut]
    flags: FlagsOut
    history: list[ConsentEventOut]


class RequestOut(Schema):
    id: int
    kind: str
    status: str
    contact_id: int
    subject: str
    received_at: datetime
    due_at: datetime
    overdue: bool
    completed_at: datetime | None
    requested_by: str
    result: dict[str, Any]
    error: str


class RequestPage(Schema):
    items: list[RequestOut]
    open: int
    overdue: int


class RectificationIn(ContactIn):
    """The corrected fields of a rectification: contacts' own field types; any other key is refused by name."""

    model_config = ConfigDict(extra="forbid")


class RequestIn(Schema):
    contact_id: Id
    kind: KindName
    notes: Text(2000) = ""  # type: ignore[valid-type]
    purposes: list[PurposeName] = Field(default_factory=list, description="for an objection")
    changes: RectificationIn | None = Field(None, description="for a rectification: the corrected fields")
    restricted: bool = True


class EraseOut(Schema):
    request_id: int
    status: str
    due_at: datetime


class FactOut(Schema):
    kind: str = Field(description="interest or life_event")
    value: str = Field(description="e.g. wildlife_photography, wedding, moving_house, new_baby, new_job")
    label: str
    confidence: float
    source_post: int | None = Field(description="id of the post it was read from (null: a form)")
    source_url: str = Field(description="the post on its network, when known")
    source: str = Field(description="post, or form:<slug>")
    evidence: str = Field(description="the words it was read from")
    observed_at: datetime | None = Field(description="when the post was written or the form given")
    event_date: str | None = Field(description="the life event's date (ISO), when the text gave one")
    expires_at: datetime


class SuggestionOut(Schema):
    rule_id: int
    name: str
    action: str
    because: str = Field(description="why it matched: the facts and the context, in words")
    reasons: list[str]


class ActionRuleIn(Schema):
    name: Text(120)  # type: ignore[valid-type]
    action: Text(2000)  # type: ignore[valid-type]
    life_event: Literal["", "wedding", "moving_house", "new_baby", "new_job"] = ""
    within_days: int | None = Field(None, ge=0, le=3650, description="the event's date within N days of today")
    interest: Text(64) = ""  # type: ignore[valid-type]
    conversation_tags: list[Text(60)] = Field(default_factory=list, max_length=50)  # type: ignore[valid-type]
    keywords: list[Text(60)] = Field(default_factory=list, max_length=50)  # type: ignore[valid-type]
    context_match: Literal["any", "all"] = Field(
        "any", description="any: a conversation tag or a word is enough; all: one of each is needed"
    )
    active: bool = True
    position: int = Field(100, ge=0, le=10000)


class ActionRulePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Text(120) | None = None  # type: ignore[valid-type]
    action: Text(2000) | None = None  # type: ignore[valid-type]
    life_event: Literal["", "wedding", "moving_house", "new_baby", "new_job"] | None = None
    within_days: int | None = Field(None, ge=0, le=3650)
    interest: Text(64) | None = None  # type: ignore[valid-type]
    conversation_tags: list[Text(60)] | None = Field(None, max_length=50)  # type: ignore[valid-type]
    keywords: list[Text(60)] | None = Field(None, max_length=50)  # type: ignore[valid-type]
    context_match: Literal["any", "all"] | None = None
    active: bool | None = None
    position: int | None = Field(None, ge=0, le=10000)


class ActionRuleOut(Schema):
    id: int
    name: str
    action: str
    life_event: str
    within_days: int | None
    interest: str
    conversation_tags: list[str]
    keywords: list[str]
    context_match: str
    active: bool
    position: int
    default: bool = Field(description="one of the seeded defaults")


class EnrichmentOut(Schema):
    contact_id: int
    permitted: bool
    facts: list[FactOut]
    suggestions: list[SuggestionOut]


class AccessOut(Schema):
    when: datetime
    who: str
    action: str
    contact_id: int
    what: Any


class AccessPage(Schema):
    items: list[AccessOut]


class SuppressionIn(Schema):
    channel: Literal["email", "sms", "phone"]
    address: Text(254)  # type: ignore[valid-type]
    reason: Literal["bounce", "complaint", "manual"]
    detail: Text(200) = ""  # type: ignore[valid-type]


class SuppressionOut(Schema):
    id: int
    channel: str
    reason: str
    detail: str
    created_at: datetime


class FormField(Schema):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    label: Text(120)  # type: ignore[valid-type]
    required: bool = False
    choices: list[Text(120)] = Field(default_factory=list)  # type: ignore[valid-type]


class FormConsent(Schema):
    purpose: PurposeName
    channel: ChannelName = "email"


class FormIn(Schema):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,59}$")
    name: Text(120)  # type: ignore[valid-type]
    wording: Text(5000)  # type: ignore[valid-type]
    wording_version: Text(32) = "1"  # type: ignore[valid-type]
    consents: list[FormConsent] = Field(min_length=1)
    fields: list[FormField] = Field(default_factory=list)
    double_opt_in: bool = True


class FormOut(Schema):
    id: int
    slug: str
    name: str
    wording: str
    wording_version: str
    consents: list[dict[str, str]]
    fields: list[dict[str, Any]]
    double_opt_in: bool
    active: bool
    url: str
    embed: str


class RetentionOut(Schema):
    data_type: str
    label: str
    days: int | None = Field(description="days kept; null: kept until a policy is set")
    suggested_days: int


class RetentionIn(Schema):
    days: int = Field(ge=1, le=36500)


class RetentionRunOut(Schema):
    id: int
    ran_at: datetime
    policies: dict[str, int]
    purged: dict[str, int]
