"""The public ends of the tracking links: a click is recorded and redirected to the template's URL, an open image
is recorded and served. No sign-in (the recipient's mail client asks), so the signature is the authentication: a
forged or mangled token gets a 404 and nothing is recorded."""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.cache import never_cache

from rapport.campaigns import sending, tracking
from rapport.campaigns.models import CampaignResponse, CampaignSend, ResponseKind, SendStatus, StepRun, StepStatus

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _send(target: tracking.Target | None) -> CampaignSend:
    if target is None:
        raise Http404("unknown link")
    send = (
        CampaignSend.objects.select_related("campaign")
        .filter(pk=target.send_id, status__in=(SendStatus.SENT, SendStatus.UNCERTAIN))
        .first()
    )
    if send is None:  # erased, or never sent
        raise Http404("unknown link")
    return send


def _journey_run(target: tracking.Target) -> StepRun:
    run = (
        StepRun.objects.filter(pk=target.send_id, status__in=(StepStatus.SENT, StepStatus.UNCERTAIN))
        .select_related("journey")
        .first()
    )
    if run is None:
        raise Http404("unknown link")
    return run


def _journey_click(target: tracking.Target) -> HttpResponse:
    run = _journey_run(target)
    step = next((s for s in run.journey.steps or [] if s.get("id") == run.step), None)
    links = tracking.links_of((step or {}).get("body", ""))
    if not isinstance(target.link, int) or target.link >= len(links):
        raise Http404("unknown link")
    StepRun.objects.filter(pk=run.pk, clicked_at__isnull=True).update(clicked_at=timezone.now())
    StepRun.objects.filter(pk=run.pk, opened_at__isnull=True).update(opened_at=timezone.now())
    return HttpResponseRedirect(links[target.link])


@never_cache
def click(request: HttpRequest, token: str) -> HttpResponse:
    target = tracking.read(token)
    if target is not None and target.journey:
        return _journey_click(target)
    send = _send(target)
    if not isinstance(target.link, int):
        raise Http404("unknown link")
    links = tracking.links_of(sending.variant_body(send.campaign, send.variant))
    if target.link >= len(links):
        raise Http404("unknown link")
    url = links[target.link]
    CampaignResponse.objects.create(
        workspace_id=send.workspace_id,
        campaign_id=send.campaign_id,
        send=send,
        kind=ResponseKind.CLICK,
        link=target.link,
        url=url,
    )
    return HttpResponseRedirect(url)


@never_cache
def open_image(request: HttpRequest, token: str) -> HttpResponse:
    target = tracking.read(token)
    if target is not None and target.journey:
        if target.link != tracking.OPEN:
            raise Http404("unknown link")
        run = _journey_run(target)
        StepRun.objects.filter(pk=run.pk, opened_at__isnull=True).update(opened_at=timezone.now())
        return HttpResponse(GIF, content_type="image/gif")
    send = _send(target)
    if target.link != tracking.OPEN:
        raise Http404("unknown link")
    CampaignResponse.objects.create(
        workspace_id=send.workspace_id, campaign_id=send.campaign_id, send=send, kind=ResponseKind.OPEN
    )
    return HttpResponse(GIF, content_type="image/gif")
