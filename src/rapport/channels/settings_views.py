"""Channels in the settings: the brand's connected accounts, created and edited through channels' own services (the
config checked against the network's rules, credentials encrypted and write-only, every change audited)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from rapport.channels import services
from rapport.channels.models import Channel
from rapport.core.errors import FieldErrors
from rapport.core.services import record_audit
from rapport.pipeline.connectors.base import PayloadError, check_raw
from rapport.pipeline.connectors.registry import NETWORK_MODULES
from rapport.web.settings_kit import (
    actor,
    add_field_errors,
    admin_required,
    form_status,
    render_settings,
    scoped,
)
from rapport.web.settings_registry import Section

SECTIONS = (
    Section(
        "channels",
        gettext_lazy("Channels"),
        gettext_lazy(
            "The brand's connected accounts: what Rapport hears and answers on, their credentials and webhooks."
        ),
        "channels-settings:list",
        80,
    ),
)
NETWORKS = (*NETWORK_MODULES, "chat")


def _credentials(text: str) -> dict[str, str]:
    """`name: value` (or `name=value`) lines; a name may appear once."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        sep = min((i for i in (line.find(":"), line.find("=")) if i > 0), default=-1)
        if sep < 0:
            raise forms.ValidationError(f"line {number}: write name: value")
        key, value = line[:sep].strip(), line[sep + 1 :].strip()
        if not key.replace("_", "").isalnum():
            raise forms.ValidationError(f"line {number}: {key!r} is not a credential name (letters, digits, _)")
        if key in out:
            raise forms.ValidationError(f"line {number}: {key} is given twice")
        if len(value) > 500:
            raise forms.ValidationError(f"line {number}: {key} is longer than 500 characters")
        out[key] = value
    return out


class ChannelForm(forms.Form):
    network = forms.ChoiceField(choices=[(n, n) for n in NETWORKS])
    handle = forms.CharField(max_length=200, help_text="the brand's account, e.g. @acmeair; unique per network")
    name = forms.CharField(max_length=200, required=False)
    external_id = forms.CharField(max_length=200, required=False, help_text="the account's id on the network")
    config = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text='JSON: what to poll, e.g. {"feeds": ["https://example.com/feed"]} (RSS) or '
        '{"base_url": "https://mastodon.social", "hashtags": ["acme"]} (Mastodon) or '
        '{"base_url": "https://forum.example.org"} (Discourse)',
    )
    credentials = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        help_text="one name: value a line (app_secret, verify_token, access_token, api_key and api_username for "
        "Discourse...). Write-only: leave empty to "
        "keep the stored ones.",
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="inactive channels are neither polled nor answered on"
    )

    def __init__(self, *args, channel: Channel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel is not None:
            for name in ("network", "handle"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "fixed: a channel is its network and handle"

    def clean_config(self) -> dict | None:
        text = (self.cleaned_data.get("config") or "").strip()
        if not text:
            return {} if self.channel is None else None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
        except RecursionError:
            raise forms.ValidationError("nested too deeply") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a JSON object: {...}")
        try:  # what a JSON column cannot store: a NUL or lone surrogate (\u0000, \ud800), 1e999, deep nesting
            return check_raw(value, "config")
        except PayloadError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_credentials(self) -> dict | None:
        text = self.cleaned_data.get("credentials") or ""
        return _credentials(text) if text.strip() else None

    def clean(self):
        data = super().clean()
        if self.channel is None and data.get("network") and data.get("handle"):
            exists = Channel.objects.filter(
                workspace_id=self.workspace_id, network=data["network"], handle=data["handle"].strip()
            ).exists()
            if exists:
                self.add_error("handle", f"this workspace already has {data['network']}:{data['handle']}")
        return data


def _initial(channel: Channel) -> dict:
    return {
        "network": channel.network,
        "handle": channel.handle,
        "name": channel.name,
        "external_id": channel.external_id,
        "config": json.dumps(channel.config or {}, indent=2) if channel.config else "",
        "active": channel.active,
    }


@transaction.atomic
def _set_active(request: HttpRequest, channel: Channel, active: bool) -> None:
    """Switch a channel on or off, audited as channel.activated / channel.deactivated (nothing when unchanged)."""
    if channel.active == active:
        return
    channel.active = active
    channel.save(update_fields=["active"])
    record_audit(
        workspace=request.workspace,
        actor=actor(request),
        action="channel.activated" if active else "channel.deactivated",
        object_type="channel",
        object_id=channel.pk,
        before={"active": not active},
        after={"active": active},
    )


@admin_required
def channel_list(request: HttpRequest) -> HttpResponse:
    rows = [(c, services.webhook_path(c)) for c in Channel.objects.filter(workspace=request.workspace)]
    return render_settings(request, "channels/settings/list.html", {"channels": rows}, section="channels")


@admin_required
def channel_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    channel = scoped(Channel, request, pk) if pk else None
    form = ChannelForm(request.POST or None, channel=channel, initial=_initial(channel) if channel else None)
    form.workspace_id = request.workspace.pk
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                saved = services.upsert_channel(
                    workspace=request.workspace,
                    actor=actor(request),
                    network=channel.network if channel else data["network"],
                    handle=channel.handle if channel else data["handle"].strip(),
                    name=data["name"],
                    external_id=data["external_id"],
                    credentials=data["credentials"],
                    config=data["config"],
                )
                _set_active(request, saved, data["active"])
        except FieldErrors as exc:
            add_field_errors(form, exc)
        else:
            messages.success(request, f"Channel {saved.network}:{saved.handle} is saved.")
            return redirect("channels-settings:edit", pk=saved.pk)
    return render_settings(
        request,
        "channels/settings/edit.html",
        {
            "form": form,
            "channel": channel,
            "webhook_path": services.webhook_path(channel) if channel else "",
        },
        section="channels",
        status=form_status(request, form),
        history=("channel", channel.pk if channel else None),
    )


@admin_required
@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Channels are not deleted (conversations and messages point at them): they are deactivated."""
    channel = scoped(Channel, request, pk)
    _set_active(request, channel, False)
    messages.success(request, f"Channel {channel} is deactivated.")
    return redirect("channels-settings:list")
