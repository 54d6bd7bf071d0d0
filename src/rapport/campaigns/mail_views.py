"""The admin's mail settings: the DKIM domain, selector and key that sign campaign and journey mail (with the DNS
record to publish), and the bounce webhook's address and secret."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from rapport.campaigns import bounces, mail
from rapport.channels.crypto import CredentialsUnreadable
from rapport.core.errors import FieldErrors
from rapport.web.views import workspace_required


@workspace_required("workspace.manage")
def mail_settings(request: HttpRequest) -> HttpResponse:
    row = mail.settings_row(request.workspace.pk)
    data = {
        "dkim_domain": row.dkim_domain,
        "dkim_selector": row.dkim_selector,
        "soft_bounce_limit": row.soft_bounce_limit,
    }
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in data}
        posted = dict(data)
        posted |= {
            "dkim_private_key": request.POST.get("dkim_private_key", ""),
            "generate_key": request.POST.get("generate_key") == "on",
            "remove_key": request.POST.get("remove_key") == "on",
            "new_bounce_secret": request.POST.get("new_bounce_secret") == "on",
        }
        try:
            mail.save_settings(workspace_id=request.workspace.pk, data=posted)
        except FieldErrors as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, "Mail settings saved: campaign and journey mail is signed with them from now on.")
            return redirect("campaigns:mail-settings")
    try:
        record = mail.dns_record(request.workspace.pk)
        secret = mail.bounce_secret(row)
        unreadable = False
    except CredentialsUnreadable:
        record, secret, unreadable = None, "", True
    ctx = {
        "nav": "campaigns",
        "data": data,
        "errors": errors,
        "row": row,
        "record": record,
        "has_stored_key": bool(row.dkim_key_encrypted),
        "unreadable": unreadable,
        "bounce_url": request.build_absolute_uri(reverse("campaigns:bounces", args=[row.bounce_key])),
        "bounce_secret": secret,
        "soft_window": bounces.SOFT_WINDOW_DAYS,
    }
    return render(request, "campaigns/mail_settings.html", ctx, status=status)
