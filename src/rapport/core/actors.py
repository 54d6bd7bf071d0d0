"""Who is acting: a person in the UI, an API token, a rule, an import or the system."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rapport.core.models import User


@dataclass(frozen=True)
class Actor:
    """The author of a change, as the audit log records it."""

    kind: str
    label: str
    user: User | None = None

    @classmethod
    def for_user(cls, user: User) -> Actor:
        return cls(kind="user", label=user.email, user=user)

    @classmethod
    def for_token(cls, user: User, prefix: str) -> Actor:
        return cls(kind="token", label=f"{user.email} (API token {prefix}…)", user=user)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(kind="system", label=label)

    @classmethod
    def importer(cls, label: str) -> Actor:
        return cls(kind="import", label=label)

    @classmethod
    def rule(cls, label: str) -> Actor:
        return cls(kind="rule", label=label)
