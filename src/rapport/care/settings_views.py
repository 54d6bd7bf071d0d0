"""Care's settings sections: teams and their members, agents' skills and languages, routing (the teams' rules and
a tester), SLA policies with business hours, and canned replies with a live preview.

Admin-only and workspace-scoped (rapport.web.settings_kit); every change is in the audit log. The pages only read
routing and SLA code (pick_team, match_policy, add_business_minutes) to show what a new conversation would get.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rapport.care import routing, sla
from rapport.care.models import (
    OPEN_Q,
    AgentProfile,
    AgentStatus,
    CannedReply,
    Conversation,
    ConversationStatus,
    SLAPolicy,
    Strategy,
    Team,
)
from rapport.care.services import render_canned
from rapport.contacts.models import TouchpointChannel
from rapport.core.models import Role, User
from rapport.core.networks import Network
from rapport.core.services import record_audit
from rapport.web.settings_kit import (
    LANGUAGES,
    ListField,
    ModelIdsField,
    actor,
    admin_required,
    audited_delete,
    audited_save,
    form_status,
    render_edit,
    render_settings,
    scoped,
)
from rapport.web.settings_registry import Section

SECTIONS = (
    Section(
        "teams",
        gettext_lazy("Teams"),
        gettext_lazy("Groups of agents, the languages and channels each covers."),
        "care:settings-teams",
        20,
    ),
    Section(
        "agents",
        gettext_lazy("Skills and languages"),
        gettext_lazy("Each agent's languages, product skills, capacity and availability."),
        "care:settings-agents",
        30,
    ),
    Section(
        "routing",
        gettext_lazy("Routing"),
        gettext_lazy("Which team and agent a new conversation goes to, and a tester to try it."),
        "care:settings-routing",
        40,
    ),
    Section(
        "sla",
        gettext_lazy("SLA policies"),
        gettext_lazy("Response and resolution targets per channel, priority and tier, counted in business hours."),
        "care:settings-sla",
        50,
    ),
    Section(
        "canned",
        gettext_lazy("Canned replies"),
        gettext_lazy("Saved answers with {{first_name}}-style variables, offered in the reply box."),
        "care:settings-canned",
        60,
    ),
)

CARE_ROLES = (Role.ADMIN, Role.AGENT, Role.COMMUNITY_MANAGER)  # who can be routed conversations (care.view)
CHANNELS = tuple(dict.fromkeys([*TouchpointChannel.values, *Network.values, "generic", "rss"]))
PRIORITIES = (("urgent", "Urgent (70+)"), ("high", "High (50-69)"), ("normal", "Normal (25-49)"), ("low", "Low"))
TIERS = ("vip", "platinum", "gold", "silver")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
VARIABLES = {
    "first_name": "the customer's first name",
    "last_name": "the customer's last name",
    "name": "the customer's full name",
    "agent_name": "your first name (or the start of your email)",
    "brand": "the workspace's name",
}


def _braced(name: str) -> str:
    return "{{" + name + "}}"


_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
TEAM_FIELDS = ("name", "languages", "networks", "strategy")
SLA_FIELDS = (
    "name",
    "position",
    "channels",
    "priorities",
    "tiers",
    "first_response_minutes",
    "next_response_minutes",
    "resolution_minutes",
    "calendar",
    "warn_before_minutes",
    "active",
)
CANNED_FIELDS = ("name", "text", "team")
AGENT_FIELDS = ("languages", "products", "capacity", "status", "teams")


def _care_users(workspace_id: int):
    return User.objects.filter(
        memberships__workspace_id=workspace_id, memberships__role__in=CARE_ROLES, is_active=True
    ).order_by("email")


class _UniqueName:
    """Names are unique per workspace (the constraint names the workspace, which no form field carries)."""

    model: type
    workspace_id: int

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = self.model.objects.filter(workspace_id=self.workspace_id, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"another {self.model._meta.verbose_name} is called {name!r}")
        return name


# Teams -----------------------------------------------------------------------------------------------------------


class TeamForm(_UniqueName, forms.ModelForm):
    model = Team
    languages = ListField(choices=LANGUAGES, help_text="e.g. en, da; empty: the team answers any language")
    networks = ListField(
        choices=CHANNELS, label="Channels", help_text="e.g. twitter, email, chat; empty: every channel"
    )
    members = ModelIdsField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label="Agents"
    )

    class Meta:
        model = Team
        fields = ["name", "languages", "networks", "strategy"]

    def __init__(self, *args, workspace_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace_id = workspace_id
        self.fields["members"].queryset = _care_users(workspace_id)
        self.fields["members"].label_from_instance = lambda u: u.get_full_name() or u.email
        self.fields["strategy"].help_text = "how an agent of the team is picked; manual leaves it in the team queue"
        if self.instance.pk:
            self.fields["members"].initial = list(
                AgentProfile.objects.filter(teams=self.instance).values_list("user_id", flat=True)
            )


def _team_members(team: Team) -> list[int]:
    return sorted(AgentProfile.objects.filter(teams=team).values_list("user_id", flat=True))


def _set_team_members(team: Team, users: list[User]) -> None:
    wanted = {u.pk for u in users}
    for profile in AgentProfile.objects.filter(workspace_id=team.workspace_id, teams=team):
        if profile.user_id not in wanted:
            profile.teams.remove(team)
    for user in users:
        profile, _ = AgentProfile.objects.get_or_create(workspace_id=team.workspace_id, user=user)
        profile.teams.add(team)


@admin_required
def teams(request: HttpRequest) -> HttpResponse:
    rows = Team.objects.filter(workspace=request.workspace).annotate(
        agents_count=Count("agents", distinct=True),
        open_count=Count("conversations", filter=~Q(conversations__status=ConversationStatus.RESOLVED), distinct=True),
    )
    return render_settings(request, "care/settings/teams.html", {"teams": rows}, section="teams")


@admin_required
def team_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    team = scoped(Team, request, pk) if pk else Team(workspace=request.workspace)
    form = TeamForm(request.POST or None, instance=team, workspace_id=request.workspace.pk)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            before_members = _team_members(team) if team.pk else []
            saved = audited_save(form, request=request, object_type="team", fields=TEAM_FIELDS)
            _set_team_members(saved, list(form.cleaned_data["members"]))
            after_members = _team_members(saved)
            if before_members != after_members:
                record_audit(
                    workspace=request.workspace,
                    actor=actor(request),
                    action="team.members_changed",
                    object_type="team",
                    object_id=saved.pk,
                    before={"members": before_members},
                    after={"members": after_members},
                )
        messages.success(request, f"Team {saved.name} is saved.")
        return redirect("care:settings-teams")
    return render_edit(
        request,
        form,
        section="teams",
        heading=team.name if team.pk else "New team",
        back="care:settings-teams",
        back_label="Teams",
        delete_url=reverse("care:settings-team-delete", args=[team.pk]) if team.pk else "",
        delete_note="Its conversations stay, without a team, and are routed again by hand.",
        history=("team", team.pk),
    )


@admin_required
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = scoped(Team, request, pk)
    audited_delete(team, request=request, object_type="team", fields=TEAM_FIELDS)
    messages.success(request, f"Team {team.name} is deleted.")
    return redirect("care:settings-teams")


# Agents: skills and languages ------------------------------------------------------------------------------------


class AgentForm(forms.ModelForm):
    languages = ListField(choices=LANGUAGES, help_text="languages the agent answers in; empty: any")
    products = ListField(label="Skills", help_text="products or topics the agent knows, e.g. baggage, loyalty, refunds")
    capacity = forms.IntegerField(min_value=1, max_value=500, help_text="open conversations at once")
    teams = ModelIdsField(
        queryset=Team.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = AgentProfile
        fields = ["languages", "products", "capacity", "status", "teams"]

    def __init__(self, *args, workspace_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = Team.objects.filter(workspace_id=workspace_id)


@admin_required
def agents(request: HttpRequest) -> HttpResponse:
    users = list(_care_users(request.workspace.pk))
    profiles = {
        p.user_id: p for p in AgentProfile.objects.filter(workspace=request.workspace).prefetch_related("teams")
    }
    loads = routing.agent_loads(workspace_id=request.workspace.pk, user_ids=[u.pk for u in users])
    rows = [(u, profiles.get(u.pk), loads.get(u.pk, 0)) for u in users]
    return render_settings(request, "care/settings/agents.html", {"rows": rows}, section="agents")


@admin_required
def agent_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = _care_users(request.workspace.pk).filter(pk=user_id).first()
    if user is None:
        raise Http404("no such agent in this workspace")
    profile = AgentProfile.objects.filter(workspace=request.workspace, user=user).first() or AgentProfile(
        workspace=request.workspace, user=user
    )
    form = AgentForm(request.POST or None, instance=profile, workspace_id=request.workspace.pk)
    if request.method == "POST" and form.is_valid():
        audited_save(form, request=request, object_type="agent_profile", fields=AGENT_FIELDS, user=user)
        messages.success(request, f"{user.email}: skills and languages are saved.")
        return redirect("care:settings-agents")
    return render_edit(
        request,
        form,
        section="agents",
        heading=user.get_full_name() or user.email,
        intro="Routing prefers agents who speak the conversation's language, then the least loaded.",
        back="care:settings-agents",
        back_label="Skills and languages",
        history=("agent_profile", profile.pk),
    )


# Routing ---------------------------------------------------------------------------------------------------------


class RouteTestForm(forms.Form):
    language = forms.ChoiceField(choices=[(code, code) for code in LANGUAGES], initial="en")
    network = forms.ChoiceField(choices=[(c, c) for c in CHANNELS], initial="twitter", label="Channel")
    priority = forms.ChoiceField(choices=PRIORITIES, initial="normal")
    tier = forms.ChoiceField(choices=[("", "none"), *[(t, t) for t in TIERS]], required=False)


_BAND_PRIORITY = {"urgent": 80.0, "high": 60.0, "normal": 30.0, "low": 10.0}


def _route(workspace_id: int, data: dict) -> dict:
    """What a conversation with these facts would get now: its team, the agents eligible in it, its SLA and due times.
    Read only: nothing is assigned and no round-robin position moves."""
    team = routing.pick_team(workspace_id=workspace_id, language=data["language"], network=data["network"])
    eligible: list[tuple[AgentProfile, int]] = []
    if team is not None:
        profiles = list(
            AgentProfile.objects.filter(teams=team, status=AgentStatus.ONLINE)
            .select_related("user")
            .order_by("user_id")
        )
        loads = routing.agent_loads(workspace_id=workspace_id, user_ids=[p.user_id for p in profiles])
        free = [p for p in profiles if loads[p.user_id] < p.capacity]
        skilled = [p for p in free if not p.languages or data["language"] in p.languages]
        eligible = [(p, loads[p.user_id]) for p in (skilled or free)]
    probe = Conversation(workspace_id=workspace_id, channel=data["network"], priority=_BAND_PRIORITY[data["priority"]])
    policy = sla.match_policy(conversation=probe, tier=data.get("tier") or "")
    now = timezone.now()
    due = {}
    if policy is not None:
        for target in sla.TARGETS:
            minutes = getattr(policy, f"{target}_minutes")
            if minutes:
                try:
                    due[target.replace("_", " ")] = sla.add_business_minutes(now, minutes, policy.calendar)
                except ValueError:
                    due[target.replace("_", " ")] = None
    return {"team": team, "eligible": eligible, "policy": policy, "due": due, "now": now}


@admin_required
def routing_page(request: HttpRequest) -> HttpResponse:
    teams_by_rule = sorted(
        Team.objects.filter(workspace=request.workspace).annotate(agents_count=Count("agents", distinct=True)),
        key=lambda t: (-(bool(t.languages) + bool(t.networks)), t.name),
    )
    form = RouteTestForm(request.GET or None)
    result = _route(request.workspace.pk, form.cleaned_data) if form.is_bound and form.is_valid() else None
    return render_settings(
        request,
        "care/settings/routing.html",
        {"teams": teams_by_rule, "form": form, "result": result, "strategies": Strategy.choices},
        section="routing",
        status=400 if form.is_bound and form.errors else 200,
    )


# SLA policies with business hours --------------------------------------------------------------------------------


class SLAForm(forms.ModelForm):
    channels = ListField(choices=CHANNELS, help_text="e.g. twitter, facebook; empty: every channel")
    priorities = forms.MultipleChoiceField(
        choices=PRIORITIES, required=False, widget=forms.CheckboxSelectMultiple, help_text="none ticked: any"
    )
    tiers = ListField(choices=TIERS, help_text="customer tiers from the contact's tags (vip, gold...); empty: any")
    first_response_minutes = forms.IntegerField(
        min_value=1, max_value=525600, required=False, label="First response (minutes)"
    )
    next_response_minutes = forms.IntegerField(
        min_value=1, max_value=525600, required=False, label="Next response (minutes)"
    )
    resolution_minutes = forms.IntegerField(min_value=1, max_value=525600, required=False, label="Resolution (minutes)")
    warn_before_minutes = forms.IntegerField(
        min_value=0, max_value=10080, initial=15, label="Warn before (minutes)", help_text="before a target is due"
    )
    position = forms.IntegerField(min_value=0, max_value=32767, initial=100, help_text="lower is tried first")
    tz = forms.CharField(
        label="Time zone",
        max_length=64,
        required=False, initial="UTC", help_text="of the business hours, e.g. Europe/Copenhagen"
    )
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="closed days, one YYYY-MM-DD a line or comma-separated",
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "name",
            "position",
            "channels",
            "priorities",
            "tiers",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "warn_before_minutes",
            "active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cal = self.instance.calendar or {}
        hours = cal.get("hours", {})
        for i, day in enumerate(WEEKDAYS):
            opens, closes = (hours.get(str(i)) or ["", ""])[:2]
            self.fields[f"open_{i}"] = forms.TimeField(required=False, label=f"{day} opens", initial=opens or None)
            self.fields[f"close_{i}"] = forms.TimeField(required=False, label=f"{day} closes", initial=closes or None)
        if self.instance.pk:
            self.fields["tz"].initial = cal.get("tz", "UTC")
            self.fields["holidays"].initial = "\n".join(cal.get("holidays", []))
        self.fields["name"].help_text = "e.g. Social first reply in 1 hour"

    def hour_rows(self):
        return [(WEEKDAYS[i], self[f"open_{i}"], self[f"close_{i}"]) for i in range(7)]

    def visible_fields(self):  # the weekday pairs are drawn as a table of their own
        return [f for f in super().visible_fields() if not f.name.startswith(("open_", "close_"))]

    def clean_tz(self) -> str:
        name = (self.cleaned_data.get("tz") or "UTC").strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder, a long name too long
            raise forms.ValidationError(f"{name!r} is not a time zone (e.g. Europe/Berlin, UTC)") from None
        return name

    def clean_holidays(self) -> list[str]:
        out = []
        for raw in re.split(r"[\s,]+", self.cleaned_data.get("holidays") or ""):
            if not raw:
                continue
            try:
                out.append(date.fromisoformat(raw).isoformat())
            except ValueError:
                raise forms.ValidationError(f"{raw!r} is not a date (YYYY-MM-DD)") from None
        return sorted(set(out))

    def clean(self):
        data = super().clean()
        if not any(data.get(f"{t}_minutes") for t in sla.TARGETS):
            self.add_error(
                "first_response_minutes", "set at least one target: first response, next response or resolution"
            )
        hours: dict[str, list[str]] = {}
        for i, day in enumerate(WEEKDAYS):
            opens, closes = data.get(f"open_{i}"), data.get(f"close_{i}")
            if f"open_{i}" in self.errors or f"close_{i}" in self.errors:
                continue
            if bool(opens) != bool(closes):
                self.add_error(
                    f"close_{i}" if opens else f"open_{i}", f"{day} needs both an opening and a closing time"
                )
            elif opens and closes:
                if closes <= opens:
                    self.add_error(f"close_{i}", f"{day} must close after it opens")
                else:
                    hours[str(i)] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
        calendar: dict = {}
        if hours:
            calendar = {"tz": data.get("tz") or "UTC", "hours": hours}
            if data.get("holidays"):
                calendar["holidays"] = data["holidays"]
        self.calendar = calendar
        return data

    def save(self, commit: bool = True):
        self.instance.calendar = self.calendar
        return super().save(commit=commit)


def hours_summary(calendar: dict) -> str:
    """'Mon-Fri 09:00-17:00 Europe/Berlin' style, or 'around the clock'."""
    hours = (calendar or {}).get("hours") or {}
    if not hours:
        return "around the clock"
    parts, run = [], []
    for i in range(8):
        span = tuple(hours.get(str(i)) or ()) if i < 7 else None
        if run and span == run[-1][1]:
            run.append((i, span))
            continue
        if run and run[0][1]:
            first, last = WEEKDAYS[run[0][0]][:3], WEEKDAYS[run[-1][0]][:3]
            days = first if first == last else f"{first}-{last}"
            parts.append(f"{days} {run[0][1][0]}-{run[0][1][1]}")
        run = [(i, span)]
    return ", ".join(parts) + f" ({calendar.get('tz', 'UTC')})"


@admin_required
def sla_policies(request: HttpRequest) -> HttpResponse:
    rows = [(p, hours_summary(p.calendar)) for p in SLAPolicy.objects.filter(workspace=request.workspace)]
    return render_settings(request, "care/settings/sla.html", {"policies": rows}, section="sla")


@admin_required
def sla_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = scoped(SLAPolicy, request, pk) if pk else SLAPolicy(workspace=request.workspace)
    form = SLAForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        saved = audited_save(form, request=request, object_type="sla_policy", fields=SLA_FIELDS)
        messages.success(request, f"SLA policy {saved.name} is saved; it applies to conversations opened from now on.")
        return redirect("care:settings-sla")
    return render_settings(
        request,
        "care/settings/sla_edit.html",
        {"form": form, "policy": policy},
        section="sla",
        status=form_status(request, form),
        history=("sla_policy", policy.pk),
    )


@admin_required
@require_POST
def sla_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = scoped(SLAPolicy, request, pk)
    if Conversation.objects.filter(OPEN_Q, workspace=request.workspace, sla__policy=policy).exists():
        messages.error(request, f"{policy.name} runs on open conversations: make it inactive instead of deleting it.")
        return redirect("care:settings-sla-edit", pk=policy.pk)
    audited_delete(policy, request=request, object_type="sla_policy", fields=SLA_FIELDS)
    messages.success(request, f"SLA policy {policy.name} is deleted.")
    return redirect("care:settings-sla")


# Canned replies --------------------------------------------------------------------------------------------------


def unknown_variables(text: str) -> list[str]:
    return sorted({m.group(1) for m in _VARIABLE.finditer(text or "") if m.group(1) not in VARIABLES})


class CannedForm(_UniqueName, forms.ModelForm):
    model = CannedReply

    class Meta:
        model = CannedReply
        fields = ["name", "text", "team"]
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, workspace_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace_id = workspace_id
        self.fields["team"].queryset = Team.objects.filter(workspace_id=workspace_id)
        self.fields["team"].required = False
        self.fields["team"].empty_label = "every team"
        self.fields["team"].help_text = "the team this answer is written for"
        self.fields["text"].help_text = "variables: " + ", ".join(_braced(v) for v in VARIABLES)

    def clean_text(self) -> str:
        text = (self.cleaned_data.get("text") or "").strip()
        if len(text) > 5000:
            raise forms.ValidationError("at most 5000 characters")
        bad = unknown_variables(text)
        if bad:
            known = ", ".join(_braced(v) for v in VARIABLES)
            raise forms.ValidationError(f"unknown variable {', '.join(_braced(b) for b in bad)}; use {known}")
        return text


def _sample_conversation(request: HttpRequest) -> Conversation | None:
    """The newest conversation with a known person: the preview shows the reply as an agent would send it there."""
    return (
        routing.visible_conversations(workspace_id=request.workspace.pk, user=request.user, role=request.role)
        .filter(person__isnull=False)
        .select_related("workspace", "person")
        .order_by("-last_inbound_at", "-id")
        .first()
    )


SAMPLE = {"first_name": "Hanne", "last_name": "Kristensen", "name": "Hanne Kristensen"}


def preview_text(request: HttpRequest, text: str) -> tuple[str, Conversation | None]:
    """The text as the inbox fills it in for the newest conversation (render_canned, the inbox's own code); with no
    conversation yet, for a sample customer."""
    conversation = _sample_conversation(request)
    if conversation is None:
        values = {
            **SAMPLE,
            "agent_name": request.user.first_name or request.user.email.split("@")[0],
            "brand": request.workspace.name,
        }
        return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text), None
    probe = CannedReply(workspace=request.workspace, name="preview", text=text)
    return render_canned(canned=probe, conversation=conversation, agent=request.user), conversation


@admin_required
def canned(request: HttpRequest) -> HttpResponse:
    rows = CannedReply.objects.filter(workspace=request.workspace).select_related("team")
    return render_settings(request, "care/settings/canned.html", {"replies": rows}, section="canned")


@admin_required
def canned_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    reply = scoped(CannedReply, request, pk) if pk else CannedReply(workspace=request.workspace)
    form = CannedForm(request.POST or None, instance=reply, workspace_id=request.workspace.pk)
    if request.method == "POST" and form.is_valid():
        saved = audited_save(form, request=request, object_type="canned_reply", fields=CANNED_FIELDS)
        messages.success(request, f"Canned reply {saved.name} is saved; agents are offered it in the reply box.")
        return redirect("care:settings-canned")
    rendered, sample = preview_text(request, form["text"].value() or "") if (form["text"].value() or "") else ("", None)
    return render_settings(
        request,
        "care/settings/canned_edit.html",
        {"form": form, "reply": reply, "preview": rendered, "sample": sample, "variables": VARIABLES},
        section="canned",
        status=form_status(request, form),
        history=("canned_reply", reply.pk),
    )


@admin_required
@require_POST
def canned_preview(request: HttpRequest) -> HttpResponse:
    """The reply as it would read in the newest conversation (htmx swaps it in while the admin types)."""
    text = (request.POST.get("text") or "")[:5000]
    rendered, sample = preview_text(request, text)
    bad = unknown_variables(text)
    return render(request, "care/settings/_preview.html", {"preview": rendered, "sample": sample, "unknown": bad})


@admin_required
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reply = scoped(CannedReply, request, pk)
    audited_delete(reply, request=request, object_type="canned_reply", fields=CANNED_FIELDS)
    messages.success(request, f"Canned reply {reply.name} is deleted.")
    return redirect("care:settings-canned")
