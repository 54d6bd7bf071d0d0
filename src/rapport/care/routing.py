"""Routing: pick a team by language and channel, then an agent by round robin or least load within capacity."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from rapport.care.models import OPEN_Q, AgentProfile, AgentStatus, Conversation, Message, Strategy, Team
from rapport.core.actors import Actor
from rapport.core.models import User
from rapport.core.services import has_permission, record_audit

VIEW_WINDOW = timedelta(minutes=2)  # two agents viewing within this window get a collision warning
STICKY_WINDOW = timedelta(days=30)  # a customer coming back within this time goes to the agent who served them


def pick_team(*, workspace_id: int, language: str, network: str, teams: list[Team] | None = None) -> Team | None:
    """The most specific team that covers the conversation's language and channel."""
    best, best_score = None, -1
    if teams is None:
        teams = list(Team.objects.filter(workspace_id=workspace_id))
    for team in teams:
        if team.languages and language not in team.languages:
            continue
        if team.networks and network not in team.networks:
            continue
        score = bool(team.languages) + bool(team.networks)
        if score > best_score:
            best, best_score = team, score
    return best


def agent_loads(*, workspace_id: int, user_ids: list[int]) -> dict[int, int]:
    """Open conversations assigned to each user."""
    rows = (
        Conversation.objects.filter(OPEN_Q, workspace_id=workspace_id, assignee_id__in=user_ids)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    loads = {uid: 0 for uid in user_ids}
    loads.update({r["assignee_id"]: r["n"] for r in rows})
    return loads


def returning_agent(conversation: Conversation) -> int | None:
    """The agent who last served this customer (within STICKY_WINDOW): sticky routing's first choice."""
    if not conversation.person_id:
        return None
    return (
        Conversation.objects.filter(
            workspace_id=conversation.workspace_id,
            person_id=conversation.person_id,
            assignee__isnull=False,
            updated_at__gte=timezone.now() - STICKY_WINDOW,
        )
        .exclude(pk=conversation.pk)
        .order_by("-updated_at", "-id")
        .values_list("assignee_id", flat=True)
        .first()
    )


def _returning(conversation: Conversation, cache: dict | None) -> int | None:
    """returning_agent, for a routed batch in one query: the first person-linked conversation of the batch reads
    the last agent of every person whose conversation the batch opened (still unsettled, unassigned)."""
    if not conversation.person_id:
        return None
    if cache is None:
        return returning_agent(conversation)
    known = cache.get("returning")
    if known is None:
        last = (
            Conversation.objects.filter(
                workspace_id=conversation.workspace_id,
                person_id=OuterRef("person_id"),
                assignee__isnull=False,
                updated_at__gte=timezone.now() - STICKY_WINDOW,
            )
            .exclude(pk=OuterRef("pk"))
            .order_by("-updated_at", "-id")
            .values("assignee_id")[:1]
        )
        known = dict(
            Conversation.objects.filter(
                workspace_id=conversation.workspace_id,
                first_inbound_at__isnull=True,
                assignee__isnull=True,
                person__isnull=False,
            )
            .annotate(last=Subquery(last))
            .values_list("person_id", "last")
        )
        cache["returning"] = known
    if conversation.person_id not in known:
        known[conversation.person_id] = returning_agent(conversation)
    return known[conversation.person_id]


def pick_agent(*, team: Team, language: str = "", cache: dict | None = None, prefer: int | None = None) -> User | None:
    """An online agent of the team with free capacity, preferring those who speak the language.

    cache (one per routed batch) keeps each team's agents and loads, updated as it assigns, so a batch of new
    conversations costs one load query per team rather than one per conversation. A cache from batch_cache()
    also keeps each team's round-robin position until save_positions writes it.
    """
    entry = cache.get(team.pk) if cache is not None else None
    if entry is None:
        profiles = list(
            AgentProfile.objects.filter(teams=team, status=AgentStatus.ONLINE)
            .select_related("user")
            .order_by("user_id")
        )
        loads = agent_loads(workspace_id=team.workspace_id, user_ids=[p.user_id for p in profiles]) if profiles else {}
        entry = (profiles, loads)
        if cache is not None:
            cache[team.pk] = entry
    profiles, loads = entry
    if not profiles:
        return None
    free = [p for p in profiles if loads[p.user_id] < p.capacity]
    language = "" if language == "und" else language  # an undetermined language asks for no skill
    skilled = [p for p in free if not language or not p.languages or language in p.languages]
    candidates = skilled or free
    if not candidates:
        return None
    returning = next((p for p in free if p.user_id == prefer), None) if prefer is not None else None
    if returning is not None:  # sticky: the agent who served this customer, if online here with room
        loads[returning.user_id] += 1
        return returning.user
    if team.strategy == Strategy.ROUND_ROBIN:
        after = [p for p in candidates if team.last_assigned_user_id is None or p.user_id > team.last_assigned_user_id]
        chosen = (after or candidates)[0]
    else:
        chosen = min(candidates, key=lambda p: (loads[p.user_id] / max(p.capacity, 1), loads[p.user_id], p.user_id))
    moved = cache.get("moved") if cache is not None else None
    if moved is None:
        Team.objects.filter(pk=team.pk).update(last_assigned_user_id=chosen.user_id)
    else:
        moved[team.pk] = chosen.user_id  # written once per team by save_positions
    team.last_assigned_user_id = chosen.user_id
    loads[chosen.user_id] += 1
    return chosen.user


def batch_cache() -> dict:
    """A routing cache for one batch: teams, agents and loads read once, round-robin positions saved at the end."""
    return {"moved": {}}


def save_positions(cache: dict) -> None:
    """Write the round-robin position of each team the batch assigned in: one UPDATE per team, not per assignment."""
    for team_id, user_id in sorted(cache.get("moved", {}).items()):
        Team.objects.filter(pk=team_id).update(last_assigned_user_id=user_id)
    cache["moved"] = {}


def auto_assign(conversation: Conversation, *, cache: dict | None = None, save: bool = True) -> User | None:
    """Route a new conversation to a team and, unless the team is manual, to an agent.

    With a cache (one per routed batch) the teams are read once and shared, so round robin moves on in memory too.
    """
    if conversation.team_id is None:
        teams = None
        if cache is not None:
            if "teams" not in cache:
                cache["teams"] = list(Team.objects.filter(workspace_id=conversation.workspace_id))
            teams = cache["teams"]
        conversation.team = pick_team(
            workspace_id=conversation.workspace_id,
            language=conversation.language,
            network=conversation.channel,
            teams=teams,
        )
    user = None
    team = conversation.team
    if team is not None and team.strategy != Strategy.MANUAL and conversation.assignee_id is None:
        user = pick_agent(
            team=team, language=conversation.language, cache=cache, prefer=_returning(conversation, cache)
        )
        conversation.assignee = user
    if save:
        conversation.save(update_fields=["team", "assignee", "updated_at"])
    return user


@transaction.atomic
def reassign(
    *, conversation: Conversation, actor: Actor, user: User | None = None, team: Team | None = None
) -> Conversation:
    """Manual (re)assignment to an agent and/or team; moving it away from someone counts as a transfer."""
    before = {"assignee": conversation.assignee_id, "team": conversation.team_id}
    if conversation.assignee_id is not None and user is not None and user.pk != conversation.assignee_id:
        conversation.transfers += 1
    if team is not None:
        if conversation.team_id is not None and team.pk != conversation.team_id and user is None:
            conversation.transfers += 1
        conversation.team = team
    if user is not None:
        conversation.assignee = user
    conversation.save(update_fields=["assignee", "team", "transfers", "updated_at"])
    if user is not None and user.pk != before["assignee"] and actor.user is not None:
        from rapport.care import notifications

        notifications.assigned(conversation=conversation, user=user, by=actor.user)
    record_audit(
        workspace=conversation.workspace,
        actor=actor,
        action="conversation.assigned",
        object_type="conversation",
        object_id=conversation.pk,
        before=before,
        after={"assignee": conversation.assignee_id, "team": conversation.team_id},
    )
    return conversation


def record_view(*, conversation: Conversation, user: User, now: datetime | None = None) -> list[int]:
    """Note that user opened the conversation; return the ids of other agents who opened it in the last minutes."""
    now = now or timezone.now()
    viewers = dict(conversation.viewers or {})
    viewers[str(user.pk)] = now.isoformat()
    others = [
        int(uid)
        for uid, at in viewers.items()
        if uid != str(user.pk) and now - datetime.fromisoformat(at) <= VIEW_WINDOW
    ]
    Conversation.objects.filter(pk=conversation.pk).update(viewers=viewers)
    conversation.viewers = viewers
    return others


def visible_conversations(*, workspace_id: int, user: User, role: str):
    """Conversations an agent may see: admins everything; agents those of their teams, theirs, or unrouted."""
    qs = Conversation.objects.filter(workspace_id=workspace_id)
    if role == "admin":
        return qs
    team_ids = list(AgentProfile.objects.filter(workspace_id=workspace_id, user=user).values_list("teams", flat=True))
    team_ids = [t for t in team_ids if t is not None]
    return qs.filter(Q(team_id__in=team_ids) | Q(assignee=user) | Q(team__isnull=True))


def private_audience(*, reader, post_ids: list[int]) -> set[int]:
    """The private posts whose text the reader may read elsewhere: those of the conversations the inbox shows them.

    Registered with rapport.core.privacy, so a timeline below care applies the inbox's own rule: one query for a
    whole page of rows (two with the agent's teams).
    """
    if reader.user is None or not post_ids or not has_permission(role=reader.role, permission="care.view"):
        return set()
    visible = visible_conversations(workspace_id=reader.workspace_id, user=reader.user, role=reader.role)
    return set(
        Message.objects.filter(workspace_id=reader.workspace_id, post_id__in=post_ids, conversation__in=visible)
        .values_list("post_id", flat=True)
        .distinct()
    )
