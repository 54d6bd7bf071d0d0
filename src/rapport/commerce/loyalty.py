"""Loyalty: earning, spending and expiring points on an append-only ledger; tiers; single-use vouchers; partners.

A balance is always the sum of the person's ledger lines (the `points_balance` on the value summary is a copy kept
in the same transaction, for lists and segments). Spending locks the membership row, expires what is due and then
checks the balance, so two redemptions at once can never take a balance below zero.

Expiry removes, oldest first, the earned points that have not been spent: spending consumes the points that expire
soonest, so what expires by a moment is `max(0, earned that expired by then - everything spent or expired before)`;
one sum per expiry run, never a rebuild of the balances.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from rapport.commerce.models import (
    CustomerValue,
    EarnRule,
    Membership,
    Order,
    OrderLine,
    Partner,
    PointsEntry,
    Programme,
    Tier,
    Voucher,
)
from rapport.contacts.models import Person, Touchpoint, TouchpointChannel, TouchpointKind
from rapport.core.models import Workspace

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class LoyaltyError(ValueError):
    """A loyalty operation that cannot be done; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InsufficientPoints(LoyaltyError):
    pass


class VoucherUnavailable(LoyaltyError):
    pass


def active_programme(workspace: Workspace) -> Programme | None:
    return Programme.objects.filter(workspace=workspace, active=True).order_by("id").first()


def membership(programme: Programme, person: Person | int, *, lock: bool = False) -> Membership:
    """The person's membership of the programme (created on first use); locked for update when asked."""
    pid = person if isinstance(person, int) else person.pk
    m, _ = Membership.objects.get_or_create(
        programme=programme, person_id=pid, defaults={"workspace_id": programme.workspace_id}
    )
    if lock:
        m = Membership.objects.select_for_update().get(pk=m.pk)
    return m


def balance(programme: Programme, person: Person | int) -> int:
    """The sum of the person's ledger lines in the programme."""
    pid = person if isinstance(person, int) else person.pk
    return int(PointsEntry.objects.filter(programme=programme, person_id=pid).aggregate(s=Sum("points"))["s"] or 0)


def _rule_applies(rule: EarnRule, *, when: datetime, partner_id: int | None) -> bool:
    if rule.starts_at and when < rule.starts_at:
        return False
    if rule.ends_at and when >= rule.ends_at:
        return False
    return not (rule.partner_id and rule.partner_id != partner_id)


def _in_category(line_category: str, rule_category: str) -> bool:
    if not rule_category:
        return True
    a, b = line_category.lower().strip(), rule_category.lower().strip()
    return a == b or a.startswith(b + " >")


def points_for(programme: Programme, rules: Sequence[EarnRule], order: Order, lines: Sequence[OrderLine]) -> int:
    """Points an order earns: per currency unit on each line, times the best matching rule's multiplier, plus the
    flat bonuses of the rules the order qualifies for (campaign windows, partners, categories)."""
    partner_id = order.store.partner_id if order.store_id and order.store else None
    live = [r for r in rules if _rule_applies(r, when=order.ordered_at, partner_id=partner_id)]
    total = Decimal(0)
    bonus = 0
    for line in lines:
        amount = line.amount - Decimal(0)
        if amount <= 0:
            continue
        multipliers = [r.multiplier for r in live if _in_category(line.category, r.category)]
        total += amount * programme.points_per_unit * (max(multipliers) if multipliers else Decimal(1))
    for r in live:
        if r.bonus_points and (not r.category or any(_in_category(ln.category, r.category) for ln in lines)):
            bonus += r.bonus_points
    return int(total.to_integral_value(rounding=ROUND_FLOOR)) + bonus


def earn_for_orders(*, workspace: Workspace, order_ids: Iterable[int], refresh: bool = True) -> int:
    """Credit the active programme's points for linked orders (once per order); the points written."""
    programme = active_programme(workspace)
    ids = list(order_ids)
    if programme is None or not ids:
        return 0
    done = set(
        PointsEntry.objects.filter(programme=programme, order_id__in=ids, kind="earn").values_list(
            "order_id", flat=True
        )
    )
    orders = list(
        Order.objects.filter(pk__in=[i for i in ids if i not in done], person__isnull=False).select_related("store")
    )
    if not orders:
        return 0
    rules = list(programme.rules.all())
    lines: dict[int, list[OrderLine]] = {}
    for line in OrderLine.objects.filter(order__in=orders):
        lines.setdefault(line.order_id, []).append(line)
    expiry = timedelta(days=programme.expiry_days) if programme.expiry_days else None
    entries = []
    for o in orders:
        pts = points_for(programme, rules, o, lines.get(o.pk, []))
        if pts <= 0:
            continue
        entries.append(
            PointsEntry(
                workspace=workspace,
                programme=programme,
                person_id=o.person_id,
                kind=PointsEntry.Kind.EARN,
                points=pts,
                occurred_at=o.ordered_at,
                expires_at=o.ordered_at + expiry if expiry else None,
                order=o,
                partner_id=o.store.partner_id if o.store_id and o.store else None,
                reason=f"order {o.order_id}",
            )
        )
    with transaction.atomic():
        PointsEntry.objects.bulk_create(entries, batch_size=2000)
        sync_people(programme, {e.person_id for e in entries})
    return sum(e.points for e in entries)


def _expire(programme: Programme, person_id: int, *, now: datetime) -> int:
    """Append the expiry line due at `now` (oldest unspent points first); the points expired."""
    rows = PointsEntry.objects.filter(programme=programme, person_id=person_id)
    expired_earned = rows.filter(kind="earn", expires_at__lte=now).aggregate(s=Sum("points"))["s"] or 0
    debits = -(rows.filter(points__lt=0).aggregate(s=Sum("points"))["s"] or 0)
    due = int(expired_earned) - int(debits)
    if due <= 0:
        return 0
    PointsEntry.objects.create(
        workspace_id=programme.workspace_id,
        programme=programme,
        person_id=person_id,
        kind=PointsEntry.Kind.EXPIRE,
        points=-due,
        occurred_at=now,
        reason="points expired",
    )
    return due


@transaction.atomic
def expire_due(programme: Programme, *, now: datetime | None = None, person_ids: Iterable[int] | None = None) -> int:
    """Expire what is due for these people (or everyone with expiring points); the points expired."""
    now = now or timezone.now()
    if person_ids is None:
        person_ids = (
            PointsEntry.objects.filter(programme=programme, kind="earn", expires_at__lte=now)
            .values_list("person_id", flat=True)
            .distinct()
        )
    total = 0
    touched = []
    for pid in list(person_ids):
        membership(programme, pid, lock=True)
        got = _expire(programme, pid, now=now)
        if got:
            touched.append(pid)
        total += got
    sync_people(programme, touched)
    return total


@transaction.atomic
def adjust(
    programme: Programme, person: Person, *, points: int, reason: str, now: datetime | None = None
) -> PointsEntry:
    """A correction by hand (positive or negative); a negative one may not take the balance below zero."""
    if points == 0:
        raise LoyaltyError("points", "must not be zero")
    if not reason.strip():
        raise LoyaltyError("reason", "say why the points are adjusted")
    now = now or timezone.now()
    membership(programme, person, lock=True)
    _expire(programme, person.pk, now=now)
    if points < 0 and balance(programme, person) + points < 0:
        raise InsufficientPoints("points", f"the balance is {balance(programme, person)}")
    entry = PointsEntry.objects.create(
        workspace_id=programme.workspace_id,
        programme=programme,
        person=person,
        kind=PointsEntry.Kind.ADJUST,
        points=points,
        occurred_at=now,
        reason=reason[:200],
    )
    sync_people(programme, [person.pk])
    return entry


@transaction.atomic
def redeem_points(
    programme: Programme,
    person: Person,
    *,
    points: int,
    reason: str = "redemption",
    partner: Partner | None = None,
    now: datetime | None = None,
) -> PointsEntry:
    """Spend points (at a partner, or for a reward); refused when the balance after expiry is too small."""
    if points <= 0:
        raise LoyaltyError("points", "must be positive")
    now = now or timezone.now()
    membership(programme, person, lock=True)  # one spender at a time per person
    _expire(programme, person.pk, now=now)
    have = balance(programme, person)
    if have < points:
        raise InsufficientPoints("points", f"the balance is {have}, {points} asked")
    entry = PointsEntry.objects.create(
        workspace_id=programme.workspace_id,
        programme=programme,
        person=person,
        kind=PointsEntry.Kind.REDEEM,
        points=-points,
        occurred_at=now,
        partner=partner,
        reason=reason[:200],
    )
    sync_people(programme, [person.pk])
    return entry


# Tiers


def qualifying_points(programme: Programme, person_id: int, *, days: int, now: datetime) -> int:
    since = now - timedelta(days=days)
    rows = PointsEntry.objects.filter(programme=programme, person_id=person_id, kind="earn", occurred_at__gte=since)
    return int(rows.aggregate(s=Sum("points"))["s"] or 0)


def qualify(
    programme: Programme, person_id: int, *, now: datetime | None = None, tiers: Sequence[Tier] | None = None
) -> Tier | None:
    """The best tier whose qualifying points within its period the person has earned; a tier granted until a
    later date (a status match, the migrated tag) is kept while it lasts and is better."""
    now = now or timezone.now()
    tiers = list(tiers if tiers is not None else programme.tiers.all())
    earned = None
    for tier in sorted(tiers, key=lambda t: -t.rank):
        if tier.qualifying_points == 0:
            return _keep_granted(programme, person_id, tier, now)
        earned = qualifying_points(programme, person_id, days=tier.period_days, now=now)
        if earned >= tier.qualifying_points:
            return _keep_granted(programme, person_id, tier, now)
    return _keep_granted(programme, person_id, None, now)


def _keep_granted(programme: Programme, person_id: int, tier: Tier | None, now: datetime) -> Tier | None:
    m = Membership.objects.filter(programme=programme, person_id=person_id).select_related("tier").first()
    held = m and m.tier and (m.tier_until is None or m.tier_until > now) and m.tier_reason
    if held and (tier is None or m.tier.rank > tier.rank):
        return m.tier
    return tier


@transaction.atomic
def grant_tier(programme: Programme, person: Person, tier: Tier, *, until: datetime | None, reason: str) -> Membership:
    """Give a tier by hand (a status match): held until `until` (None: until revoked) whatever the points say."""
    if tier.programme_id != programme.pk:
        raise LoyaltyError("tier", "not a tier of this programme")
    m = membership(programme, person, lock=True)
    m.tier, m.tier_until, m.tier_reason = tier, until, reason[:200] or "granted"
    m.save(update_fields=["tier", "tier_until", "tier_reason"])
    sync_people(programme, [person.pk])
    return m


def sync_people(programme: Programme, person_ids: Iterable[int], *, now: datetime | None = None) -> list[int]:
    """Copy each person's balance and tier to their value summary; emit commerce.value_changed for those changed."""
    from rapport.commerce.services import announce

    ids = sorted(set(person_ids))
    if not ids:
        return []
    now = now or timezone.now()
    tiers = list(programme.tiers.all())
    balances = dict(
        PointsEntry.objects.filter(programme=programme, person_id__in=ids)
        .values_list("person_id")
        .annotate(s=Sum("points"))
        .values_list("person_id", "s")
    )
    existing = {cv.person_id: cv for cv in CustomerValue.objects.filter(person_id__in=ids)}
    changed = []
    for pid in ids:
        tier = qualify(programme, pid, now=now, tiers=tiers)
        name = tier.name if tier else ""
        bal = int(balances.get(pid) or 0)
        m = Membership.objects.filter(programme=programme, person_id=pid).first()
        if m and tier and m.tier_id != tier.pk and not m.tier_reason:
            m.tier = tier
            m.save(update_fields=["tier"])
        cv = existing.get(pid)
        if cv is None:
            CustomerValue.objects.create(
                workspace_id=programme.workspace_id, person_id=pid, tier=name, points_balance=bal
            )
            changed.append(pid)
        elif cv.tier != name or cv.points_balance != bal:
            cv.tier, cv.points_balance = name, bal
            cv.save(update_fields=["tier", "points_balance", "updated_at"])
            changed.append(pid)
    if changed:
        announce(Workspace(pk=programme.workspace_id), changed)
    return changed


def tier_of(*, workspace: Workspace, person_id: int) -> str:
    """The person's tier name from the loyalty programme ("" for none): what triage and SLA policies read."""
    return (
        CustomerValue.objects.filter(workspace=workspace, person_id=person_id).values_list("tier", flat=True).first()
        or ""
    )


# Vouchers


def new_code(length: int = 10) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


@transaction.atomic
def issue_voucher(
    *,
    workspace: Workspace,
    person: Person | None = None,
    programme: Programme | None = None,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    points_cost: int = 0,
    description: str = "",
    expires_at: datetime | None = None,
    code: str = "",
    now: datetime | None = None,
) -> Voucher:
    """Issue a single-use voucher (optionally bought with the person's points); its code is unique in the workspace."""
    now = now or timezone.now()
    if amount is None and percent is None:
        raise LoyaltyError("amount", "a voucher needs an amount or a percent")
    if points_cost and (programme is None or person is None):
        raise LoyaltyError("points_cost", "points can be spent only by a member of a programme")
    if code and Voucher.objects.filter(workspace=workspace, code=code).exists():
        raise LoyaltyError("code", f"{code!r} is already used")
    if points_cost:
        redeem_points(programme, person, points=points_cost, reason=f"voucher {description or code}".strip(), now=now)
    voucher = Voucher.objects.create(
        workspace=workspace,
        code=code or new_code(),
        programme=programme,
        person=person,
        description=description[:200],
        amount=amount,
        percent=percent,
        points_cost=points_cost,
        issued_at=now,
        expires_at=expires_at,
    )
    if person is not None:
        Touchpoint.objects.create(
            workspace=workspace,
            person=person,
            kind=TouchpointKind.VOUCHER_ISSUED,
            channel=TouchpointChannel.LOYALTY,
            occurred_at=now,
            title=f"Voucher issued: {description or voucher.code}"[:200],
            amount=amount,
            source="voucher",
            source_id=str(voucher.pk),
        )
    return voucher


def redeem_voucher(
    *,
    workspace: Workspace,
    code: str,
    order: Order | None = None,
    partner: Partner | None = None,
    now: datetime | None = None,
) -> Voucher:
    """Redeem a single-use code: one conditional UPDATE decides, so of any number of simultaneous tries exactly one
    wins; the others get VoucherUnavailable saying why."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    with transaction.atomic():
        won = Voucher.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now), workspace=workspace, code=code, redeemed_at__isnull=True
        ).update(redeemed_at=now, redeemed_order=order, redeemed_partner=partner)
        voucher = Voucher.objects.filter(workspace=workspace, code=code).first()
        if not won:
            if voucher is None:
                raise VoucherUnavailable("code", "no such voucher")
            if voucher.redeemed_at is not None:
                raise VoucherUnavailable("code", "already redeemed")
            raise VoucherUnavailable("code", "expired")
        if voucher.person_id:
            Touchpoint.objects.create(
                workspace=workspace,
                person_id=voucher.person_id,
                kind=TouchpointKind.VOUCHER_REDEEMED,
                channel=TouchpointChannel.LOYALTY,
                occurred_at=now,
                title=f"Voucher redeemed: {voucher.description or voucher.code}"[:200],
                amount=voucher.amount,
                source="voucher",
                source_id=str(voucher.pk),
            )
    return voucher


# Partners


@dataclass
class SettlementLine:
    partner: str
    name: str
    points_issued: int
    points_redeemed: int
    issued_value: Decimal
    redeemed_value: Decimal
    net: Decimal  # positive: the partner owes the programme (issued more than its customers spent there)


def settlement(programme: Programme, *, start: datetime, end: datetime) -> list[SettlementLine]:
    """Per partner for a period: points its customers earned there (the partner buys them) and points spent there
    (the programme pays for them), valued at the partner's point value."""
    out = []
    partners = Partner.objects.filter(workspace_id=programme.workspace_id).order_by("code")
    rows = PointsEntry.objects.filter(
        programme=programme, occurred_at__gte=start, occurred_at__lt=end, partner__isnull=False
    )
    issued = dict(
        rows.filter(kind="earn").values_list("partner_id").annotate(s=Sum("points")).values_list("partner_id", "s")
    )
    redeemed = dict(
        rows.filter(kind="redeem").values_list("partner_id").annotate(s=Sum("points")).values_list("partner_id", "s")
    )
    for p in partners:
        i = int(issued.get(p.pk) or 0)
        r = -int(redeemed.get(p.pk) or 0)
        iv = (Decimal(i) * p.point_value).quantize(Decimal("0.01"))
        rv = (Decimal(r) * p.point_value).quantize(Decimal("0.01"))
        out.append(SettlementLine(p.code, p.name, i, r, iv, rv, iv - rv))
    return out


def ledger_out(programme: Programme | None, person: Person, *, limit: int = 50) -> dict[str, Any]:
    """The API shape of a person's loyalty state: balance (sum of the ledger), tier, and the newest ledger lines."""
    if programme is None:
        return {"programme": None, "balance": 0, "tier": "", "tier_until": None, "ledger": []}
    rows = PointsEntry.objects.filter(programme=programme, person=person).order_by("-occurred_at", "-id")[:limit]
    m = Membership.objects.filter(programme=programme, person=person).select_related("tier").first()
    tier = qualify(programme, person.pk)
    return {
        "programme": programme.name,
        "balance": balance(programme, person),
        "tier": tier.name if tier else "",
        "tier_until": m.tier_until if m and m.tier and tier and m.tier_id == tier.pk else None,
        "ledger": [
            {
                "id": e.pk,
                "kind": e.kind,
                "points": e.points,
                "occurred_at": e.occurred_at,
                "expires_at": e.expires_at,
                "reason": e.reason,
                "order_id": e.order_id,
                "partner": e.partner.code if e.partner_id else None,
            }
            for e in rows.select_related("partner")
        ],
    }
