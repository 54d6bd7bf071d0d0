"""The field registry: what a segment definition may say about a person, and how each condition becomes SQL.

A definition is a tree: `{"all": [...]}`, `{"any": [...]}`, `{"not": {...}}` or a condition
`{"field": NAME, "op": OP, "value": VALUE}` (social fields also take `"days"`, the window they count over).
`compile_definition` validates the whole tree first (a `FieldErrors` naming the path, the field, the op and the
value) and returns one `Q` over `contacts.Person` plus the aliases it needs, so a segment is ONE query:

- person attributes are columns of the person row;
- value fields read the person's `commerce.CustomerValue` through its one-to-one join (no row: no purchases);
- social signals and consent are semi-joins (`id IN (SELECT person_id ... GROUP BY ... HAVING ...)`) or one
  correlated subquery, never a query per person.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from rapport.commerce.models import Order, OrderLine
from rapport.consent import services as consent_services
from rapport.consent.models import ConsentEvent, ContactChannel, Purpose
from rapport.contacts.models import LifecycleStage
from rapport.contacts.services import fold
from rapport.core.errors import FieldErrors
from rapport.listening.models import Post, TrackingRule

OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "exists", "within_days")
TYPE_OPS: dict[str, tuple[str, ...]] = {
    "number": ("eq", "ne", "lt", "lte", "gt", "gte", "in"),
    "money": ("eq", "ne", "lt", "lte", "gt", "gte"),
    "datetime": ("lt", "lte", "gt", "gte", "exists", "within_days"),
    "text": ("eq", "ne", "in", "contains", "exists"),
    "choice": ("eq", "ne", "in", "exists"),
    "tags": ("contains", "in", "exists"),
    "boolean": ("eq", "ne"),
}
MAX_CONDITIONS = 50
MAX_DEPTH = 6
MAX_IN = 500
MAX_DAYS = 36_500
DEFAULT_DAYS = 30
RFM_SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cannot_lose",
    "hibernating",
    "lost",
)
_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
_LOOKUP = {"eq": "exact", "lt": "lt", "lte": "lte", "gt": "gt", "gte": "gte", "in": "in"}


@dataclass
class Context:
    """What a compilation needs besides the definition: the workspace and the moment "now" means."""

    workspace_id: int
    now: datetime
    aliases: dict[str, Any] = field(default_factory=dict)
    families: set[str] = field(default_factory=set)

    def alias(self, expression: Any) -> str:
        name = f"seg_{len(self.aliases)}"
        self.aliases[name] = expression
        return name


@dataclass(frozen=True)
class Field:
    """One thing a condition can test about a person."""

    name: str
    type: str
    label: str
    group: str
    family: str  # what data it reads: person | value | posts | consent (which events can change its answer)
    compile: Callable[[Field, str, Any, dict, Context], Q]
    choices: tuple[str, ...] = ()
    days: bool = False  # takes a "days" window
    help: str = ""
    nullable: bool = False  # may be unknown (no prediction yet): also takes `exists`
    period: bool = False  # purchases in a period: optional "days" (the last N days) or "from"/"to" dates
    category: bool = False  # optionally counts only lines in a "category" (or below it in the hierarchy)

    @property
    def ops(self) -> tuple[str, ...]:
        ops = TYPE_OPS[self.type]
        return (*ops, "exists") if self.nullable and "exists" not in ops else ops

    def params(self) -> dict[str, Any]:
        """What a condition on this field may say besides field, op and value."""
        if self.days:
            return {"days": {"default": DEFAULT_DAYS, "min": 1, "max": MAX_DAYS}}
        out: dict[str, Any] = {}
        if self.period:
            out["days"] = {"default": None, "min": 1, "max": MAX_DAYS, "help": "only the last N days"}
            out["from"] = {"type": "date", "help": "from this day (YYYY-MM-DD), inclusive"}
            out["to"] = {"type": "date", "help": "to this day (YYYY-MM-DD), inclusive"}
        if self.category:
            out["category"] = {
                "type": "text",
                "help": 'only lines in this category or below it ("Baby" holds "Baby > Food")',
            }
        return out

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "group": self.group,
            "ops": list(self.ops),
            "choices": list(self.choices),
            "params": self.params(),
        }
        if self.help:
            out["help"] = self.help
        return out


# Compilers: each returns a Q over contacts.Person for one validated condition.


def _column(path: str, default: Any = None, output: Any = None) -> Callable[[Field, str, Any, dict, Context], Q]:
    """A value of the person row or of a one-to-one row (e.g. `value__orders`); `default` when the row is missing."""

    def compile_(f: Field, op: str, value: Any, cond: dict, ctx: Context) -> Q:
        if default is None and "__" not in path:
            name = path
        else:
            expr = Coalesce(F(path), Value(default), output_field=output) if default is not None else F(path)
            name = ctx.alias(expr)
        if op == "exists":
            if f.type in ("text", "choice"):
                return ~Q(**{name: ""}) if value else Q(**{name: ""})
            return Q(**{f"{name}__isnull": not value})
        # "Known and ..." keeps NOT exact under SQL's three-valued logic: not (p_alive < 0.5) includes unknowns.
        known = Q(**{f"{name}__isnull": False})
        if op == "ne":
            return ~(Q(**{name: value}) & known)
        if op == "within_days":
            return Q(**{f"{name}__gte": ctx.now - timedelta(days=value), f"{name}__lte": ctx.now}) & known
        if op == "contains":
            return Q(**{f"{name}__icontains": value}) & known
        return Q(**{f"{name}__{_LOOKUP[op]}": value}) & known

    return compile_


def _tags(f: Field, op: str, value: Any, cond: dict, ctx: Context) -> Q:
    # The search text carries " #tag " for each tag (contacts keeps it): works on SQLite and PostgreSQL alike.
    if op == "exists":
        q = Q(search_text__contains=" #")
        return q if value else ~q
    tags = [value] if op == "contains" else value
    out = Q()
    for tag in tags:
        out |= Q(search_text__contains=f" #{fold(tag)} ")
    return out


def _posts(ctx: Context, cond: dict, rule_id: int | None = None):
    since = ctx.now - timedelta(days=cond.get("days", DEFAULT_DAYS))
    qs = Post.objects.filter(workspace_id=ctx.workspace_id, person__isnull=False, private=False, created_at__gte=since)
    if rule_id is not None:
        qs = qs.filter(rule_matches__rule_id=rule_id)
    return qs.order_by()


def _post_count(rule_id: int | None = None) -> Callable[[Field, str, Any, dict, Context], Q]:
    """How many posts the person wrote in the window: semi-joins on the grouped posts, zero counted right."""

    def compile_(f: Field, op: str, value: Any, cond: dict, ctx: Context) -> Q:
        posts = _posts(ctx, cond, rule_id)
        grouped = posts.values("person_id").annotate(seg_n=Count("id"))
        if op == "in":
            having = grouped.filter(seg_n__in=value)
            zero = 0 in value
        elif op == "ne":
            having = grouped.exclude(seg_n=value)
            zero = value != 0
        else:
            having = grouped.filter(**{f"seg_n__{_LOOKUP[op]}": value})
            zero = _CMP[op](0, value)
        q = Q(pk__in=having.values("person_id"))
        if zero:  # people without a post in the window have 0, and 0 passes
            q |= ~Q(pk__in=posts.values("person_id"))
        return q

    return compile_


def _sentiment(f: Field, op: str, value: Any, cond: dict, ctx: Context) -> Q:
    posts = _posts(ctx, cond).filter(sentiment_score__isnull=False)
    grouped = posts.values("person_id").annotate(seg_avg=Avg("sentiment_score"))
    having = grouped.exclude(seg_avg=value) if op == "ne" else grouped.filter(**{f"seg_avg__{_LOOKUP[op]}": value})
    return Q(pk__in=having.values("person_id"))


def _last_post(f: Field, op: str, value: Any, cond: dict, ctx: Context) -> Q:
    posts = Post.objects.filter(workspace_id=ctx.workspace_id, person__isnull=False, private=False).order_by()
    if op == "exists":
        q = Q(pk__in=posts.values("person_id"))
        return q if value else ~q
    if op == "within_days":
        return Q(pk__in=posts.filter(created_at__gte=ctx.now - timedelta(days=value)).values("person_id"))
    # The newest post compared: "last mention before T" means no post at or after T.
    if op in ("lt", "lte"):
        later = posts.filter(**{"created_at__gte" if op == "lt" else "created_at__gt": value})
        return Q(pk__in=posts.values("person_id")) & ~Q(pk__in=later.values("person_id"))
    return Q(pk__in=posts.filter(**{f"created_at__{_LOOKUP[op]}": value}).values("person_id"))


def _orders_in(ctx: Context, cond: dict):
    """The linked orders a period condition counts: the workspace's, in its window (the last N days, or from/to)."""
    qs = Order.objects.filter(workspace_id=ctx.workspace_id, person__isnull=False)
    if "days" in cond:
        qs = qs.filter(ordered_at__gte=ctx.now - timedelta(days=cond["days"]), ordered_at__lte=ctx.now)
    if "from" in cond:
        qs = qs.filter(ordered_at__gte=cond["from"])
    if "to" in cond:
        qs = qs.filter(ordered_at__lt=cond["to"])
    return qs.order_by()


def _in_category(prefix: str, category: str) -> Q:
    """Lines of a category or of one below it: "Baby" is "Baby" and "Baby > Food", not "Babylon"."""
    return Q(**{f"{prefix}category__iexact": category}) | Q(**{f"{prefix}category__istartswith": f"{category} >"})


def _purchases_in_period(measure: str) -> Callable[[Field, str, Any, dict, Context], Q]:
    """How many orders, or how much spend, the person had in the window (lines of the category when one is
    given): a semi-join on the grouped orders, with zero counted right for people without one."""

    def compile_(f: Field, op: str, value: Any, cond: dict, ctx: Context) -> Q:
        orders = _orders_in(ctx, cond)
        category = cond.get("category")
        if category:
            lines = OrderLine.objects.filter(order_id=OuterRef("pk")).filter(_in_category("", category))
            if measure == "count":
                orders = orders.filter(Exists(lines))
        grouped = orders.values("person_id")
        zero_value: Any = 0
        if measure == "count":
            grouped = grouped.annotate(seg_n=Count("id"))
        elif category:
            grouped = grouped.filter(_in_category("lines__", category)).annotate(seg_n=Sum("lines__amount"))
            zero_value = Decimal(0)
        else:
            grouped = grouped.annotate(seg_n=Sum(F("total") - F("returned")))
            zero_value = Decimal(0)
        if op == "in":
            having = grouped.filter(seg_n__in=value)
            zero = zero_value in value
        elif op == "ne":
            having = grouped.exclude(seg_n=value)
            zero = value != zero_value
        else:
            having = grouped.filter(**{f"seg_n__{_LOOKUP[op]}": value})
            zero = _CMP[op](zero_value, value)
        q = Q(pk__in=having.values("person_id"))
        if zero:
            counted = orders.filter(_in_category("lines__", category)) if category and measure != "count" else orders
            q |= ~Q(pk__in=counted.values("person_id"))
        return q

    return compile_


def _bought_category(f: Field, op: str, value: Any, cond: dict, ctx: Context) -> Q:
    """Bought something in the category (or below it) in the window; `contains` matches part of the path."""
    orders = _orders_in(ctx, cond)
    if op == "exists":
        q = Q(pk__in=orders.filter(lines__isnull=False).values("person_id"))
        return q if value else ~q
    if op == "contains":
        match = Q(lines__category__icontains=value)
    else:
        match = Q()
        for category in [value] if op in ("eq", "ne") else value:
            match |= _in_category("lines__", category)
    q = Q(pk__in=orders.filter(match).values("person_id"))
    return ~q if op == "ne" else q


def _consent(purpose: str, channel: str) -> Callable[[Field, str, Any, dict, Context], Q]:
    """The person's current word for the purpose on the channel (the ledger's newest entry), or the lawful basis's
    default when there is none: consent purposes need a grant, legitimate interest runs until an objection."""

    def compile_(f: Field, op: str, value: Any, cond: dict, ctx: Context) -> Q:
        newest = ConsentEvent.objects.filter(
            workspace_id=ctx.workspace_id, person_id=OuterRef("pk"), purpose=purpose, channel=channel
        ).order_by("-occurred_at", "-id")
        default = consent_services.basis(purpose) != "consent"
        name = ctx.alias(Coalesce(Subquery(newest.values("granted")[:1]), Value(default), output_field=BooleanField()))
        return Q(**{name: value}) if op == "eq" else ~Q(**{name: value})

    return compile_


def _static_fields() -> list[Field]:
    money = DecimalField(max_digits=14, decimal_places=2)
    integer = IntegerField()
    stages = tuple(LifecycleStage.values)
    return [
        Field("purchases.count", "number", "Orders", "Purchases", "value", _column("value__orders", 0, integer)),
        Field("purchases.total", "money", "Total spend", "Purchases", "value", _column("value__total_spend", 0, money)),
        Field(
            "purchases.first_at", "datetime", "First purchase", "Purchases", "value", _column("value__first_order_at")
        ),
        Field("purchases.last_at", "datetime", "Last purchase", "Purchases", "value", _column("value__last_order_at")),
        Field(
            "purchases.orders_in_period",
            "number",
            "Orders in a period",
            "Purchases",
            "value",
            _purchases_in_period("count"),
            period=True,
            category=True,
            help="all time, or the last N days, or from/to; only orders with a line in the category when given",
        ),
        Field(
            "purchases.spend_in_period",
            "money",
            "Spend in a period",
            "Purchases",
            "value",
            _purchases_in_period("spend"),
            period=True,
            category=True,
            help="orders' totals less returns, or the lines of the category when given",
        ),
        Field(
            "purchases.category",
            "text",
            "Bought in category",
            "Purchases",
            "value",
            _bought_category,
            period=True,
            help='a category path such as "Baby" (includes "Baby > Food"); contains matches part of it',
        ),
        Field(
            "value.clv_12m",
            "money",
            "Predicted 12-month value",
            "Value",
            "value",
            _column("value__clv_12m"),
            nullable=True,
        ),
        Field(
            "value.p_alive",
            "number",
            "Probability still active (0-1)",
            "Value",
            "value",
            _column("value__p_alive"),
            nullable=True,
        ),
        Field(
            "value.expected_purchases_90d",
            "number",
            "Expected purchases, next 90 days",
            "Value",
            "value",
            _column("value__expected_purchases_90d"),
            nullable=True,
        ),
        Field("value.rfm_r", "number", "RFM recency (1-5)", "Value", "value", _column("value__rfm_r"), nullable=True),
        Field("value.rfm_f", "number", "RFM frequency (1-5)", "Value", "value", _column("value__rfm_f"), nullable=True),
        Field("value.rfm_m", "number", "RFM monetary (1-5)", "Value", "value", _column("value__rfm_m"), nullable=True),
        Field(
            "value.rfm_segment",
            "text",
            "RFM segment",
            "Value",
            "value",
            _column("value__rfm_segment", "", None),
            help="e.g. " + ", ".join(RFM_SEGMENTS[:4]),
        ),
        Field("value.tier", "text", "Loyalty tier", "Value", "value", _column("value__tier", "", None)),
        Field(
            "value.points_balance",
            "number",
            "Points balance",
            "Value",
            "value",
            _column("value__points_balance", 0, integer),
        ),
        Field("lifecycle_stage", "choice", "Lifecycle stage", "Person", "person", _column("lifecycle_stage"), stages),
        Field("tags", "tags", "Tags", "Person", "person", _tags),
        Field("country", "text", "Country (ISO code)", "Person", "person", _column("country")),
        Field("city", "text", "City", "Person", "person", _column("city")),
        Field("email", "text", "Email", "Person", "person", _column("email")),
        Field("created_at", "datetime", "Added to Rapport", "Person", "person", _column("created_at")),
        Field("social.mentions", "number", "Posts heard", "Social", "posts", _post_count(), days=True),
        Field(
            "social.sentiment",
            "number",
            "Average sentiment of their posts (-1 to 1)",
            "Social",
            "posts",
            _sentiment,
            days=True,
        ),
        Field("social.last_mention_at", "datetime", "Last post heard", "Social", "posts", _last_post),
    ]


def _consent_fields() -> list[Field]:
    out = []
    for purpose, purpose_label in Purpose.choices:
        out.append(
            Field(
                f"consent.{purpose}",
                "boolean",
                f"May process for {purpose_label.lower()}",
                "Consent",
                "consent",
                _consent(purpose, ""),
            )
        )
        for channel, channel_label in ContactChannel.choices:
            if not channel:
                continue
            out.append(
                Field(
                    f"consent.{purpose}.{channel}",
                    "boolean",
                    f"May contact for {purpose_label.lower()} by {channel_label.lower()}",
                    "Consent",
                    "consent",
                    _consent(purpose, channel),
                )
            )
    return out


STATIC: dict[str, Field] = {f.name: f for f in _static_fields() + _consent_fields()}


def _rule_field(rule_id: int, label: str) -> Field:
    return Field(
        f"social.rule.{rule_id}",
        "number",
        f"Posts matching “{label}”",
        "Social",
        "posts",
        _post_count(rule_id),
        days=True,
    )


def fields_for(workspace_id: int) -> list[Field]:
    """Every field a definition may use in the workspace (its tracking rules each give one)."""
    rules = TrackingRule.objects.filter(workspace_id=workspace_id).order_by("name").values_list("id", "name")
    return [*STATIC.values(), *(_rule_field(pk, name) for pk, name in rules)]


def get_field(name: str, workspace_id: int) -> Field | None:
    if name in STATIC:
        return STATIC[name]
    if name.startswith("social.rule."):
        rest = name.removeprefix("social.rule.")
        if rest.isdigit():
            rule = TrackingRule.objects.filter(workspace_id=workspace_id, pk=int(rest)).values_list("name", flat=True)
            label = rule.first()
            if label is not None:
                return _rule_field(int(rest), label)
    return None


# Validation


def storable(text: str) -> bool:
    """Text every database can hold: no NUL, no lone surrogate."""
    return "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text)


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value, timezone.get_current_timezone()) if timezone.is_naive(value) else value


def _coerce(f: Field, op: str, value: Any) -> Any:
    """The value as the field's type, or ValueError saying what was expected."""
    if op == "exists":
        if not isinstance(value, bool):
            raise ValueError("exists takes true or false")
        return value
    if op == "within_days":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
            raise ValueError(f"within_days takes a whole number of days from 1 to {MAX_DAYS}")
        return value
    if op == "in" or (f.type == "tags" and op == "in"):
        if not isinstance(value, list) or not value or len(value) > MAX_IN:
            raise ValueError(f"in takes a list of 1 to {MAX_IN} values")
        return [_scalar(f, v) for v in value]
    return _scalar(f, value)


def _scalar(f: Field, value: Any) -> Any:
    t = f.type
    if t == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{value!r} is not a number")
        if isinstance(value, float) and value != value:  # NaN
            raise ValueError("NaN is not a number")
        if abs(value) > 1e15:
            raise ValueError(f"{value!r} is out of range")
        return value
    if t == "money":
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not an amount")
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not an amount") from exc
        if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
            raise ValueError(f"{value!r} is not an amount in range")
        return amount
    if t == "datetime":
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or an ISO 8601 time)")
        try:
            parsed = parse_datetime(value)
            if parsed is None:
                d = parse_date(value)
                parsed = datetime.combine(d, time.min) if isinstance(d, date) else None
        except ValueError:
            parsed = None
        if parsed is None or not 1 < parsed.year < 9999:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or an ISO 8601 time)")
        return _aware(parsed)
    if t == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not true or false")
        return value
    # text, choice, tags
    if not isinstance(value, str) or not value.strip() or len(value) > 200 or not storable(value):
        raise ValueError(f"{value!r} is not a text of 1 to 200 characters")
    value = value.strip()
    if t == "choice" and value not in f.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(f.choices)}")
    if f.name == "country":
        value = value.upper()
    return value


class _Compiler:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.errors: dict[str, str] = {}
        self.conditions = 0
        self.fields: dict[str, Field] = {}

    def node(self, node: Any, path: str, depth: int) -> Q:
        if depth > MAX_DEPTH:
            self.errors[path] = f"nests deeper than {MAX_DEPTH} levels"
            return Q()
        if not isinstance(node, dict):
            self.errors[path] = 'must be an object: {"all": [...]}, {"any": [...]}, {"not": {...}} or a condition'
            return Q()
        groups = [k for k in ("all", "any", "not") if k in node]
        if groups and "field" in node or len(groups) > 1:
            self.errors[path] = "one node is either a group (all, any, not) or a condition, not both"
            return Q()
        if groups:
            key = groups[0]
            if len(node) > 1:
                extra = sorted(set(node) - {key})
                self.errors[path] = f"unexpected key {extra[0]!r} beside {key!r}"
                return Q()
            if key == "not":
                return ~self.node(node["not"], f"{path}.not", depth + 1)
            items = node[key]
            if not isinstance(items, list) or not items:
                self.errors[f"{path}.{key}"] = "must be a non-empty list"
                return Q()
            out = Q()
            for i, item in enumerate(items):
                q = self.node(item, f"{path}.{key}[{i}]", depth + 1)
                out = (out & q) if key == "all" else (out | q)
            return out
        return self.condition(node, path)

    def window(self, f: Field, node: dict, path: str, cond: dict[str, Any]) -> bool:
        """A period field's from/to dates and category into cond; False (errors named) when they are wrong."""
        ok = True
        for key in ("from", "to"):
            if key not in node:
                continue
            if not f.period:
                self.errors[f"{path}.{key}"] = f"{f.name} takes no {key} date"
                ok = False
                continue
            day = _day(node[key])
            if day is None:
                self.errors[f"{path}.{key}"] = f"{f.name}: {key} is a date (YYYY-MM-DD), not {node[key]!r}"
                ok = False
                continue
            start = datetime.combine(day if key == "from" else day + timedelta(days=1), time.min)
            cond[key] = _aware(start)  # to is inclusive: before the next day's start
        if ok and "from" in cond and "to" in cond and cond["from"] >= cond["to"]:
            self.errors[f"{path}.to"] = f"{f.name}: to is before from"
            ok = False
        if ok and "days" in node and ("from" in node or "to" in node):
            self.errors[f"{path}.days"] = f"{f.name}: give either days or from/to, not both"
            ok = False
        if "category" in node:
            category = node["category"]
            if not f.category:
                self.errors[f"{path}.category"] = f"{f.name} takes no category"
                ok = False
            elif not isinstance(category, str) or not category.strip() or len(category) > 300 or not storable(category):
                self.errors[f"{path}.category"] = f"{f.name}: category is a text of 1 to 300 characters"
                ok = False
            else:
                cond["category"] = category.strip()
        return ok

    def condition(self, node: dict, path: str) -> Q:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            self.errors.setdefault("definition", f"has more than {MAX_CONDITIONS} conditions")
            return Q()
        unknown = sorted(set(node) - {"field", "op", "value", "days", "from", "to", "category"})
        if unknown:
            self.errors[path] = (
                f"unexpected key {unknown[0]!r} (a condition has field, op, value and maybe days, from, to, category)"
            )
            return Q()
        name = node.get("field")
        f = get_field(name, self.ctx.workspace_id) if isinstance(name, str) else None
        if f is None:
            self.errors[f"{path}.field"] = f"unknown field {name!r}: GET /api/v1/segments/fields lists them"
            return Q()
        op = node.get("op")
        if op not in f.ops:
            self.errors[f"{path}.op"] = f"{f.name} takes ops {', '.join(f.ops)}, not {op!r}"
            return Q()
        if "value" not in node:
            self.errors[f"{path}.value"] = f"{f.name} {op} needs a value"
            return Q()
        try:
            value = _coerce(f, op, node["value"])
        except ValueError as exc:
            self.errors[f"{path}.value"] = f"{f.name} {op}: {exc}"
            return Q()
        cond: dict[str, Any] = {}
        if not self.window(f, node, path, cond):
            return Q()
        if "days" in node:
            days = node["days"]
            if not (f.days or f.period):
                self.errors[f"{path}.days"] = f"{f.name} takes no days window"
                return Q()
            if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
                self.errors[f"{path}.days"] = f"{f.name}: days is a whole number from 1 to {MAX_DAYS}, not {days!r}"
                return Q()
            cond["days"] = days
        self.ctx.families.add(f.family)
        self.fields[f.name] = f
        return f.compile(f, op, value, cond, self.ctx)


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value.strip()[:10]) if len(value.strip()) == 10 else None
    except ValueError:
        return None
    return day if day is not None and 1 < day.year < 9999 else None


@dataclass
class Compiled:
    """A definition made SQL: filter people by `q` after adding `aliases`; `families` says what data it reads."""

    q: Q
    aliases: dict[str, Any]
    families: set[str]
    now: datetime

    def apply(self, qs):
        return qs.alias(**self.aliases).filter(self.q) if self.aliases else qs.filter(self.q)


def compile_definition(definition: Any, *, workspace_id: int, now: datetime | None = None) -> Compiled:
    """Validate and compile a definition; FieldErrors keyed by the path of each bad node (`definition.all[0].op`)."""
    ctx = Context(workspace_id=workspace_id, now=now or timezone.now())
    compiler = _Compiler(ctx)
    q = compiler.node(definition, "definition", 1)
    if compiler.errors:
        raise FieldErrors(compiler.errors)
    return Compiled(q=q, aliases=ctx.aliases, families=ctx.families, now=ctx.now)
