"""Social identities are created here and nowhere else: one find-or-create, one rule for reused handles.

The rule: an account is known by its network's stable id first, by its handle second; a handle now used by a
different account id was given up by its old holder (handles get reused), so the old identity keeps its id,
person and history but no longer answers to the handle, and the new account takes it. The stream resolves its
authors in bulk (`resolve_accounts`), a single message's author resolves through the same code
(`find_or_create_identity`), and people's own accounts, typed by an agent or imported, attach through
`attach_identities` and `insert_person_identities`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from django.utils import timezone

from rapport.core.bulk import insert_ignore, select_in
from rapport.core.errors import FieldErrors
from rapport.core.networks import Network
from rapport.identity.models import SocialIdentity, normalise_handle

if TYPE_CHECKING:
    from rapport.contacts.models import Person
    from rapport.core.models import Workspace

IDENTITY_COLUMNS = ("workspace", "network", "external_id", "handle", "handle_key", "display_name", "followers")
NETWORKS = frozenset(Network.values)


class Account(NamedTuple):
    """An account as a post or message names its author."""

    network: str
    external_id: str = ""
    handle: str = ""
    display_name: str = ""
    followers: int | None = None


Key = tuple[str, str, str]  # (network, external id, handle key)
Found = tuple[int, int | None]  # (identity id, person id)


def account_network(network: str) -> str:
    """Networks the identity model knows keep their name; anything else is filed as 'rss' (web sources)."""
    return network if network in NETWORKS else "rss"


def _other_columns() -> tuple[tuple[str, ...], tuple]:
    """The identity columns this stage does not fill, with the value a model save would give them."""
    now = timezone.now()
    names, values = [], []
    for field in SocialIdentity._meta.concrete_fields:
        if field.primary_key or field.attname in IDENTITY_COLUMNS or field.name in IDENTITY_COLUMNS:
            continue
        names.append(field.name)
        values.append(
            now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default()
        )
    return tuple(names), tuple(values)


def _lookup(workspace_id: int, ext: set[tuple[str, str]], handles: set[tuple[str, str]]):
    by_ext: dict[tuple[str, str], tuple[int, int | None]] = {}
    by_handle: dict[tuple[str, str], tuple[int, int | None, str]] = {}
    table = SocialIdentity._meta.db_table
    base = f"SELECT id, person_id, external_id, handle_key FROM {table} WHERE workspace_id = %s AND network = %s AND "  # noqa: S608
    rows: list[tuple] = []
    for net in {n for n, _ in ext} | {n for n, _ in handles}:
        ext_ids = sorted(e for n, e in ext if n == net)
        keys = sorted(h for n, h in handles if n == net)
        if ext_ids:
            rows += [(net, *r) for r in select_in(base + "external_id IN ({in})", [workspace_id, net], ext_ids)]
        if keys:
            rows += [(net, *r) for r in select_in(base + "handle_key IN ({in})", [workspace_id, net], keys)]
    for net, pk, person, external_id, handle_key in rows:
        if external_id:
            by_ext[(net, external_id)] = (pk, person)
        if handle_key:
            by_handle[(net, handle_key)] = (pk, person, external_id)
    return by_ext, by_handle


def _resolve(key: Key, by_ext, by_handle) -> tuple[int, int | None] | None:
    net, ext, handle_key = key
    if ext and (net, ext) in by_ext:
        return by_ext[(net, ext)]
    if handle_key and (net, handle_key) in by_handle:
        pk, person, known_ext = by_handle[(net, handle_key)]
        # A handle now held by a different account id is someone else (handles get reused).
        if not ext or not known_ext or known_ext == ext:
            return pk, person
    return None


def resolve_accounts(*, workspace_id: int, accounts: Sequence[Account]) -> tuple[list[Found | None], int]:
    """(identity id, person id) for each account, creating identities for new ones; and how many were created.

    A fixed number of queries per call whatever its size; concurrent callers creating the same identity are
    resolved by the unique constraints (conflicts are skipped and the winner's row is read back).
    """
    keys: list[Key] = [
        (account_network(a.network), a.external_id or "", normalise_handle(a.handle)) for a in accounts
    ]
    ext: set[tuple[str, str]] = set()
    handles: set[tuple[str, str]] = set()
    for account, (net, ext_id, handle_key) in zip(accounts, keys, strict=True):
        if ext_id:
            ext.add((net, ext_id))
        if account.handle:
            handles.add((net, handle_key))
    by_ext, by_handle = _lookup(workspace_id, ext, handles)
    out: list[Found | None] = [None] * len(accounts)
    missing: dict[Key, tuple] = {}
    fill_ext: dict[int, str] = {}
    for n, (account, key) in enumerate(zip(accounts, keys, strict=True)):
        found = _resolve(key, by_ext, by_handle)
        net, ext_id, handle_key = key
        if found is not None:
            out[n] = found
            if ext_id and (net, handle_key) in by_handle and not by_handle[(net, handle_key)][2]:
                fill_ext[found[0]] = ext_id  # identity known by handle only: remember the network's stable id
            continue
        handle = (account.handle or "").strip().lstrip("@")
        if not ext_id and not handle:
            continue
        mkey = (net, ext_id, normalise_handle(handle))
        if mkey not in missing:
            followers = account.followers
            missing[mkey] = (
                workspace_id,
                net,
                ext_id[:200],
                handle[:200],
                normalise_handle(handle)[:200],
                (account.display_name or "")[:200],
                followers if isinstance(followers, int) and 0 <= followers < 2**31 else None,
            )
    for pk, ext_id in fill_ext.items():
        SocialIdentity.objects.filter(pk=pk, external_id="").update(external_id=ext_id[:200])
    if not missing:
        return out, 0
    released = [
        by_handle[(net, key)][0]
        for net, ext_id, key in missing
        if ext_id and key and (net, key) in by_handle and by_handle[(net, key)][2] not in ("", ext_id)
    ]
    if released:
        SocialIdentity.objects.filter(pk__in=released).update(handle="", handle_key="")
    extra, values = _other_columns()
    insert_ignore(
        SocialIdentity, IDENTITY_COLUMNS + extra, [(*row, *values) for row in missing.values()], conflict=None
    )
    by_ext, by_handle = _lookup(
        workspace_id, {(n, e) for n, e, _ in missing if e}, {(n, h) for n, _, h in missing if h}
    )
    for n, key in enumerate(keys):
        if out[n] is None:
            out[n] = _resolve(key, by_ext, by_handle)
    return out, len(missing)


def find_or_create_identity(
    *, workspace: Workspace, network: str, external_id: str = "", handle: str = "", name: str = ""
) -> SocialIdentity | None:
    """The identity of one account (with its person loaded), created when unknown; None without id or handle."""
    (found,), _ = resolve_accounts(
        workspace_id=workspace.pk, accounts=[Account(network, external_id or "", handle or "", name or "")]
    )
    if found is None:
        return None
    return SocialIdentity.objects.select_related("person").get(pk=found[0])


def attach_identities(*, workspace: Workspace, person: Person, identities: list[dict[str, Any]]) -> None:
    """Make these accounts (network, handle, external_id, ...) the person's; others they had are unlinked.

    An account that belongs to another contact is refused, naming the item: an agent or an import states who
    someone is, so a clash is a question for a person, not a handle to take over.
    """
    errors: dict[str, str] = {}
    keep: list[int] = []
    for n, ident in enumerate(identities):
        network = (ident.get("network") or "").strip().lower()
        handle = (ident.get("handle") or "").strip().lstrip("@")
        external_id = (ident.get("external_id") or "").strip()
        if network not in NETWORKS:
            errors[f"identities[{n}].network"] = f"{network!r} is not a supported network"
            continue
        if not handle and not external_id:
            errors[f"identities[{n}]"] = "needs a handle or an external_id"
            continue
        existing = None
        if external_id:
            existing = SocialIdentity.objects.filter(
                workspace=workspace, network=network, external_id=external_id
            ).first()
        if existing is None and handle:
            existing = SocialIdentity.objects.filter(
                workspace=workspace, network=network, handle_key=normalise_handle(handle)
            ).first()
        if existing is not None and existing.person_id not in (None, person.pk):
            errors[f"identities[{n}]"] = (
                f"{network}:{handle or external_id} belongs to another contact (id {existing.person_id})"
            )
            continue
        ident_obj = existing or SocialIdentity(workspace=workspace, network=network)
        ident_obj.person = person
        ident_obj.handle = handle or ident_obj.handle
        ident_obj.external_id = external_id or ident_obj.external_id
        for extra in ("profile_url", "display_name"):
            if ident.get(extra):
                setattr(ident_obj, extra, str(ident[extra])[:500])
        if ident.get("followers") is not None:
            ident_obj.followers = max(0, int(ident["followers"]))
        ident_obj.save()
        keep.append(ident_obj.pk)
    if errors:
        raise FieldErrors(errors)
    # Identities dropped from the list are unlinked, not deleted: the account still exists on its network.
    SocialIdentity.objects.filter(person=person).exclude(pk__in=keep).update(person=None)


PERSON_IDENTITY_COLUMNS = [
    "workspace",
    "person",
    "network",
    "external_id",
    "handle",
    "handle_key",
    "display_name",
    "profile_url",
    "bio",
    "created_at",
    "updated_at",
]


def insert_person_identities(*, workspace_id: int, rows: Sequence[tuple[int, str, str]]) -> list[tuple]:
    """Insert (person id, network, handle) accounts that nobody holds yet, as prepared rows (the import's fast
    path); returns (person id, network, handle key) of those inserted."""
    now = timezone.now()
    values = [(workspace_id, pk, n, "", h, normalise_handle(h), "", "", "", now, now) for pk, n, h in rows]
    return insert_ignore(
        SocialIdentity, PERSON_IDENTITY_COLUMNS, values, conflict=None, returning=["person", "network", "handle_key"]
    )


def create_identities(*, workspace_id: int, rows: Sequence[dict[str, Any]], batch_size: int = 2000) -> None:
    """Insert accounts of new people in bulk (the demo's seeds), skipping accounts already held."""
    SocialIdentity.objects.bulk_create(
        [
            SocialIdentity(workspace_id=workspace_id, handle_key=normalise_handle(row.get("handle")), **row)
            for row in rows
        ],
        batch_size=batch_size,
        ignore_conflicts=True,
    )
