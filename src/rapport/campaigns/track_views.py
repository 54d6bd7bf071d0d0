"""The public ends of the tracking links: a click is recorded and redirected to the template's URL, an open image
is recorded and served. No sign-in (the recipient's mail client asks), so the signature is the authentication: a
forged or mangled token gets a 404 and nothing is recorded."""

from __future__ import annotations

import base64

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache

from rapport.campaigns import sending, tracking
from rapport.campaigns.models import CampaignResponse, CampaignSend, ResponseKind, SendStatus

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


@never_cache
def click(request: HttpRequest, token: str) -> HttpResponse:
    target = tracking.read(token)
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
    send = _send(target)
    if target.link != tracking.OPEN:
        raise Http404("unknown link")
    CampaignResponse.objects.create(
        workspace_id=send.workspace_id, campaign_id=send.campaign_id, send=send, kind=ResponseKind.OPEN
    )
    return HttpResponse(GIF, content_type="image/gif")
