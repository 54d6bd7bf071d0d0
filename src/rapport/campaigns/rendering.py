"""Per-person templates in Django's template language, sandboxed: a bare engine (no loaders, no app tag libraries,
so no {% include %}, {% extends %} or {% load %} of anything but the built-ins) and a context of plain strings holding
only the fields a message may use, never the person object or anything reachable from it."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.template import Context, Engine, Template, TemplateSyntaxError

# The person's fields a template may use; everything else is not in the context at all.
FIELDS = ("first_name", "last_name", "name", "email", "city", "country", "lifecycle_stage", "customer_number")


@lru_cache(maxsize=1)
def engine() -> Engine:
    return Engine(loaders=[], libraries={}, autoescape=False, debug=False, string_if_invalid="")


class TemplateError(ValueError):
    """A subject or body that does not compile; the message says where."""


def compile_template(source: str) -> Template:
    try:
        return engine().from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(str(exc)) from exc


def context_for(person) -> dict[str, str]:
    """The sandboxed context: strings only, from the allowed fields."""
    ctx = {f: str(getattr(person, f, "") or "") for f in FIELDS if f != "name"}
    ctx["name"] = " ".join(p for p in (person.first_name, person.last_name) if p)
    return ctx


def render(template: Template, ctx: dict[str, str]) -> str:
    return template.render(Context(ctx, autoescape=False))


def message_hash(subject: str, body: str) -> str:
    """Identifies a message's content: two people with the same hash were sent the same message."""
    return hashlib.sha256(f"{subject}\x00{body}".encode()).hexdigest()
