"""API shapes of campaigns and their stats."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from rapport.core.apitypes import Id, Text


class VariantIn(Schema):
    name: Text(40) | None = None
    subject: Text(300) | None = Field(default=None, description="defaults to the campaign's subject")
    body: Text(100_000) | None = Field(default=None, description="defaults to the campaign's body")


class CampaignIn(Schema):
    name: Text(200)
    segment_ids: list[Id] = Field(max_length=50)
    channel: Text(16) = "email"
    purpose: Text(32)
    subject: Text(300) = Field(description="a template: {{ first_name }}, {{ last_name }}, {{ name }}, {{ city }}...")
    body: Text(100_000) = Field(description="a template in the same language as the subject")
    variants: list[VariantIn] = Field(default_factory=list, max_length=10)
    track_opens: bool = Field(default=False, description="add an HTML part with an invisible image that records opens")
    track_clicks: bool = Field(default=True, description="send the template's fixed links through a signed redirect")


class VariantOut(Schema):
    name: str
    subject: str
    body: str


class StatsOut(Schema):
    members: int = Field(description="distinct people in the segments")
    audience: int = Field(description="members who may be sent it: not suppressed, with consent and an address")
    suppressed: int
    no_consent: int = Field(description="no consent for the purpose and channel, including withdrawals before sending")
    no_address: int
    pending: int
    sent: int
    failed: int
    uncertain: int = Field(description="interrupted while being handed to the mail server; never sent again")
    capped: int = Field(description="not sent: the person had reached the workspace's frequency cap")
    unique_messages: int = Field(description="distinct rendered messages among those sent")
    bounced: int = Field(description="sends that bounced (hard or soft), from the bounce webhook")
    hard_bounced: int = Field(description="sends that bounced permanently: their addresses are suppressed")
    complained: int = Field(description="sends marked as spam: their addresses are suppressed")
    opened: int = Field(description="sends whose open image loaded or whose link was clicked (opens are unreliable)")
    clicked: int = Field(description="people who clicked a link of the message")
    unsubscribed: int = Field(description="people sent it who may no longer be sent its purpose on its channel")
    converted: int = Field(description="people who ordered within the attribution window of their first click")
    revenue: float = Field(description="the total of those orders, less returns")


class CampaignOut(Schema):
    id: int
    name: str
    segment_ids: list[int]
    channel: str
    purpose: str
    subject: str
    body: str
    variants: list[VariantOut]
    track_opens: bool
    track_clicks: bool
    status: str
    error: str
    created_by: str
    created_at: datetime
    queued_at: datetime | None
    scheduled_at: datetime | None = Field(description="when a scheduled campaign starts sending")
    finished_at: datetime | None
    stats: StatsOut


class VariantResultOut(Schema):
    name: str
    sent: int
    clicked: int
    converted: int
    revenue: float
    click_rate: float
    conversion_rate: float


class ComparisonOut(Schema):
    variant: str = Field(description="the leader")
    against: str
    diff: float = Field(description="the leader's rate minus the other's")
    ci_low: float = Field(description="95% interval of the difference")
    ci_high: float
    z: float
    p_value: float = Field(description="two-sided, before the correction")
    confidence: float = Field(description="1 - the Bonferroni-corrected p-value")


class ExperimentOut(Schema):
    metric: str = Field(description="converted, or clicked while no variant has a conversion")
    variants: list[VariantResultOut]
    comparisons: list[ComparisonOut]
    winner: str | None = Field(description="the variant whose lead holds at 95% confidence, if one does")
    confidence: float = Field(description="the weakest of the leader's comparisons")
    verdict: str


class TestSendIn(Schema):
    to: list[Text(254)] = Field(default_factory=list, max_length=10, description="addresses (default: the person's)")
    person_id: Id | None = Field(default=None, description="render as this person (default: the first member)")
    variant: Text(40) | None = Field(default=None, description="a campaign's variant by name (default A)")


class TestSendOut(Schema):
    to: list[str]
    subject: str
    as_person: int | None = Field(description="the person the message was rendered as")


class ScheduleIn(Schema):
    at: Text(40) = Field(description="ISO date and time; without an offset it is the workspace's local time")


class RecommendationOut(Schema):
    sku: str
    name: str
    category: str
    score: float = Field(description="higher is a better match; popular fallbacks rank below personal picks")
    reason: str = Field(description='"because you bought ..." or "popular with other customers"')


class RecommendationList(Schema):
    items: list[RecommendationOut]


# --- journeys -----------------------------------------------------------------------------------------------------


class ConditionIn(Schema):
    kind: Text(16) = Field(description="in_segment, consent, field, purchased (since entering) or clicked")
    segment_id: int | None = None
    purpose: Text(32) | None = None
    channel: Text(16) | None = None
    field: Text(40) | None = Field(default=None, description="a person's field, tags, or a value field (total_spend)")
    op: Text(8) | None = Field(default=None, description="eq, neq, gte, lte or contains")
    value: str | float | int | None = None


class StepIn(Schema):
    id: Text(40) | None = Field(default=None, description="stable id (s1, s2... when left out); branches name it")
    type: Text(16) = Field(description="wait, branch, email, invite, task or exit")
    label: Text(100) | None = None
    days: int | None = None
    hours: int | None = None
    minutes: int | None = None
    until: Text(16) | None = Field(default=None, description="wait until event_date or entered, plus offset_days")
    offset_days: int | None = None
    condition: ConditionIn | None = None
    then: Text(40) | None = Field(default=None, description="step id, next or exit when the condition holds")
    otherwise: Text(40) | None = Field(default=None, alias="else", description="step id, next or exit otherwise")
    subject: Text(300) | None = None
    body: Text(100_000) | None = None
    text: Text(2000) | None = Field(default=None, description="a task's note for the agents (a template)")


class JourneyIn(Schema):
    name: Text(200)
    trigger: Text(32) = Field(
        description="purchase, segment_entered, segment_left, conversation_resolved, low_csat, answer_accepted, "
        "life_event"
    )
    trigger_config: dict = Field(default_factory=dict, description='e.g. {"segment_id": 3}, {"value": "moving_house"}')
    steps: list[StepIn] = Field(max_length=50)
    purpose: Text(32) = "offers"
    channel: Text(16) = "email"
    status: Text(16) = Field(default="draft", description="draft, active or paused")
    reentry_days: int | None = Field(default=None, description="none: once per person; N: again N days after entry")
    goal_days: int | None = Field(default=None, description="a purchase within N days of entering is the goal")
    when_capped: Text(8) = Field(default="skip", description="an email over the frequency cap: skip or delay")


class JourneyPatch(Schema):
    name: Text(200) | None = None
    trigger: Text(32) | None = None
    trigger_config: dict | None = None
    steps: list[StepIn] | None = Field(default=None, max_length=50)
    purpose: Text(32) | None = None
    channel: Text(16) | None = None
    status: Text(16) | None = None
    reentry_days: int | None = None
    goal_days: int | None = None
    when_capped: Text(8) | None = None


class StepCountsOut(Schema):
    id: str
    type: str
    label: str
    reached: int = Field(description="passes that got to this step")
    waiting: int = Field(description="active passes at this step now")
    sent: int = Field(description="messages handed to the mail server")
    skipped: int = Field(description="messages not sent: no consent, no address, the frequency cap, refused")
    yes: int
    no: int
    converted: int = Field(description="passes that reached this step and then the goal")


class JourneyCountsOut(Schema):
    entered: int
    active: int
    completed: int
    converted: int
    exited: int
    conversion: float = Field(description="converted / entered")
    steps: list[StepCountsOut]


class JourneyOut(Schema):
    id: int
    name: str
    status: str
    trigger: str
    trigger_config: dict
    steps: list[dict]
    purpose: str
    channel: str
    reentry_days: int | None
    goal_days: int | None
    when_capped: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    counts: JourneyCountsOut


class JourneyList(Schema):
    items: list[JourneyOut]


class PolicyIn(Schema):
    time_zone: Text(64) = "UTC"
    quiet_start: Text(8) | None = Field(default=None, description="HH:MM local time, e.g. 21:00")
    quiet_end: Text(8) | None = Field(default=None, description="HH:MM local time, e.g. 08:00")
    cap_messages: int = Field(default=0, description="marketing messages per person per window; 0 = no cap")
    cap_days: int = 7


class PolicyOut(Schema):
    time_zone: str
    quiet_start: str | None
    quiet_end: str | None
    cap_messages: int
    cap_days: int
