"""Template filters of the inbox: SLA times as agents read them."""

from __future__ import annotations

from datetime import datetime

from django import template

from rapport.care.sla import sla_left

register = template.Library()


@register.filter(name="sla_left")
def sla_left_filter(due: datetime | None) -> str:
    """{{ c.sla_due_at|sla_left }}: "2 h 15 min", "overdue 3 d"."""
    return sla_left(due)
