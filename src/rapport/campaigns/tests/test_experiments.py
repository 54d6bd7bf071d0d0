"""Experiments: per-variant conversion from real clicks and orders, a two-proportion test that names a winner only
when its lead holds at 95% confidence (Bonferroni-corrected), on the page and in the API."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from tests.fakes.smtp import fake_smtp  # noqa: F401 - fixture

from rapport.campaigns import experiments, services
from rapport.campaigns.models import Campaign, CampaignResponse, CampaignSend, ResponseKind
from rapport.campaigns.tests.test_campaigns import ACTOR, body, person, run_jobs, segment, smtp_settings
from rapport.commerce.services import LineIn, OrderIn, record_order
from rapport.core.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_proportion_z_test_matches_the_textbook_values():
    # 200/1000 against 150/1000: pooled p = 0.175, z = 0.05 / sqrt(0.175 * 0.825 * 0.002) = 2.9424, p = 0.00326
    t = experiments.two_proportions(200, 1000, 150, 1000)
    assert math.isclose(t["z"], 2.9424, abs_tol=1e-3) and math.isclose(t["p_value"], 0.003258, abs_tol=2e-5)
    assert t["ci_low"] < 0.05 < t["ci_high"] and math.isclose(
        t["ci_high"] - t["ci_low"], 2 * 1.96 * 0.01688, rel_tol=1e-2
    )
    assert experiments.two_proportions(0, 100, 0, 100)["p_value"] == 1.0
    assert experiments.two_proportions(5, 0, 1, 10)["p_value"] == 1.0


def click_and_buy(ws, campaign, sends, *, buyers: int, clickers: int):
    now = timezone.now()
    for i, send in enumerate(sends[:clickers]):
        CampaignResponse.objects.create(workspace=ws, campaign=campaign, send=send, kind=ResponseKind.CLICK, link=0)
        if i < buyers:
            record_order(
                workspace=ws,
                order=OrderIn(
                    order_id=f"o{send.pk}",
                    ordered_at=now + timedelta(days=1),
                    email=send.person.email,
                    lines=[LineIn(sku="X", name="X", amount=Decimal("20"))],
                ),
            )


def test_the_variant_that_converts_better_wins_and_a_close_race_has_no_winner(
    api,
    workspace,
    settings,
    fake_smtp,  # noqa: F811
    member_factory,
):
    smtp_settings(settings, fake_smtp)
    for i in range(60):
        person(workspace, f"P{i:02d}")
    data = body(segment_ids=[segment(workspace).pk], variants=[{"name": "B", "subject": "Spring deals"}])
    c = services.create_campaign(workspace=workspace, actor=ACTOR, data=data)
    # Before sending there is nothing to compare.
    assert api.get(f"/campaigns/{c.pk}/experiment").json()["winner"] is None
    services.queue_send(actor=ACTOR, campaign=c)
    run_jobs()
    c = Campaign.objects.get(pk=c.pk)
    arms = {
        v: list(CampaignSend.objects.filter(campaign=c, variant=v).select_related("person").order_by("id"))
        for v in ("A", "B")
    }
    assert len(arms["A"]) + len(arms["B"]) == 60 and min(len(a) for a in arms.values()) >= 20
    # Clicks only, close: click-through decides and there is no winner.
    click_and_buy(workspace, c, arms["A"], buyers=0, clickers=5)
    click_and_buy(workspace, c, arms["B"], buyers=0, clickers=6)
    r = experiments.results(c)
    assert r["metric"] == "clicked" and r["winner"] is None and "No winner yet" in r["verdict"]
    # B converts far more: B wins on conversion.
    CampaignResponse.objects.filter(campaign=c).delete()
    click_and_buy(workspace, c, arms["A"], buyers=1, clickers=3)
    click_and_buy(workspace, c, arms["B"], buyers=15, clickers=16)
    r = api.get(f"/campaigns/{c.pk}/experiment").json()
    assert r["metric"] == "converted"
    rows = {v["name"]: v for v in r["variants"]}
    assert (rows["A"]["converted"], rows["B"]["converted"]) == (1, 15)
    assert math.isclose(rows["B"]["conversion_rate"], 15 / len(arms["B"]))
    (cmp,) = r["comparisons"]
    expected = experiments.two_proportions(15, len(arms["B"]), 1, len(arms["A"]))
    assert (cmp["variant"], cmp["against"]) == ("B", "A") and math.isclose(cmp["p_value"], expected["p_value"])
    assert r["winner"] == "B" and r["confidence"] > 0.99 and r["verdict"].startswith("Variant B wins on conversion")
    page = Client()
    page.force_login(member_factory(workspace, Role.MARKETER).user)
    html = page.get(f"/campaigns/{c.pk}/").content.decode()
    assert 'id="experiment"' in html and "Variant B wins on conversion" in html
    assert api.get(f"/campaigns/{c.pk + 999}/experiment").status_code == 404
