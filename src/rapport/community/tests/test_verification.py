"""Email verification at sign-up: a signed link that expires and works once; nothing is posted before it."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rapport.community import services, verification
from rapport.community.models import CommunityMember
from rapport.community.tests.helpers import MEMBER_PASSWORD, category

pytestmark = pytest.mark.django_db


def _join(workspace, handle="newbie"):
    return services.join(
        workspace=workspace, handle=handle, email=f"{handle}@mail.example", password=MEMBER_PASSWORD, confirm_email=True
    )


def test_an_unconfirmed_member_may_not_post_until_the_link_is_used_once(
    workspace, other_workspace, mailoutbox, django_capture_on_commit_callbacks
):
    cat = category(workspace)
    with django_capture_on_commit_callbacks(execute=True):
        m = _join(workspace)
    assert m.email_verified_at is None and len(mailoutbox) == 1
    with pytest.raises(services.CommunityError, match="confirm your email"):
        services.ask(author=m, category=cat, title="Where is the SIM tray?", body="?")
    raw = re.search(r"/verify/(\S+)", mailoutbox[0].body).group(1)
    with pytest.raises(verification.BadLink, match="not valid"):
        verification.confirm(other_workspace.pk, raw)  # another workspace's address
    with pytest.raises(verification.BadLink, match="not valid"):
        verification.confirm(workspace.pk, raw[:-2] + "xx")
    verification.confirm(workspace.pk, raw)
    m.refresh_from_db()
    assert m.email_verified_at is not None
    with pytest.raises(verification.BadLink, match="already used"):
        verification.confirm(workspace.pk, raw)
    assert services.ask(author=m, category=cat, title="Where is the SIM tray?", body="?").pk


def test_a_new_link_replaces_the_old_and_links_expire(workspace):
    m = _join(workspace)
    first = verification.token(m)
    second = verification.token(m)
    with pytest.raises(verification.BadLink, match="replaced"):
        verification.confirm(workspace.pk, first)
    from django.core import signing

    with pytest.MonkeyPatch.context() as mp:  # the clock the signature's age is read from
        later = timezone.now() + timedelta(days=verification.VERIFY_DAYS + 1)
        mp.setattr(signing.time, "time", lambda: later.timestamp())
        with pytest.raises(verification.BadLink, match="expired"):
            verification.confirm(workspace.pk, second)
    verification.confirm(workspace.pk, second)


def test_members_created_by_the_product_need_no_link_and_the_resend_is_rate_limited(workspace, mailoutbox):
    m = services.join(workspace=workspace, handle="fromcrm", email="fromcrm@mail.example", password=MEMBER_PASSWORD)
    assert m.email_verified_at is not None and mailoutbox == []
    _join(workspace, "late")
    c = Client()
    assert (
        c.post(
            f"/community/{workspace.slug}/signin", {"email": "late@mail.example", "password": MEMBER_PASSWORD}
        ).status_code
        == 302
    )
    for _ in range(3):
        assert "new link" in c.post(f"/community/{workspace.slug}/verify/resend").content.decode()
    assert c.post(f"/community/{workspace.slug}/verify/resend").status_code == 429
    assert len(mailoutbox) == 3
    assert Client().get(f"/community/{workspace.slug}/verify/garbage").status_code == 400
    assert CommunityMember.objects.get(handle="late").email_verified_at is None
