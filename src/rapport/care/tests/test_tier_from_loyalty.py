"""The tier that picks an SLA policy and weighs in triage comes from the loyalty programme (its value summary);
tags name a tier only where no programme has."""

import pytest
from django.utils import timezone

from rapport.care.models import Conversation
from rapport.care.tests.helpers import brand, ingest, person, post, social_policy
from rapport.commerce.models import CustomerValue

pytestmark = pytest.mark.django_db


def test_a_gold_member_without_tags_gets_the_gold_policy_and_the_tier_factor(
    workspace, django_capture_on_commit_callbacks
):
    brand(workspace)
    gold_policy = social_policy(workspace, first=30, tiers=["gold"])  # policies match in order: the narrow one first
    social_policy(workspace, first=240)
    ann = person(workspace, "Ann", "Berg", handle="annberg")
    CustomerValue.objects.create(workspace=workspace, person=ann, tier="Gold", total_spend=1200, orders=6)
    tagged = person(workspace, "Bo", "Holm", handle="boholm", tags=["silver"])
    ingest(
        workspace,
        [post("@acmeair my bag is lost, please help", handle="annberg"),
         post("@acmeair my bag is lost, please help", handle="boholm")],
        django_capture_on_commit_callbacks,
    )
    ann_conv = Conversation.objects.get(person=ann)
    assert ann_conv.sla.policy_id == gold_policy.pk
    reasons = " ".join(str(r) for r in ann_conv.priority_reasons)
    assert "gold customer" in reasons
    bo_conv = Conversation.objects.get(person=tagged)
    assert bo_conv.sla.policy_id != gold_policy.pk  # silver, from tags: the general policy
    assert "silver customer" in " ".join(str(r) for r in bo_conv.priority_reasons)
    assert ann_conv.sla_due_at < timezone.now() + timezone.timedelta(minutes=31)
