"""Priority factors and the needs-response classifier, without the database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rapport.care.classify import classify
from rapport.care.sla import customer_tier, priority_band
from rapport.care.triage import factors

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _score(**kw) -> tuple[float, dict]:
    base = dict(
        sentiment_label="neutral",
        sentiment_score=0.0,
        texts=["hello"],
        followers=None,
        engagement=0,
        spend=Decimal(0),
        tier="",
        sla_due_at=None,
        inbound_count=1,
        earlier_conversations=0,
        category="",
        now=NOW,
    )
    base.update(kw)
    parts = factors(**base)
    return sum(p.points for p in parts), {p.factor: p for p in parts}


def test_each_factor_adds_and_explains():
    calm, _ = _score()
    assert calm == 0
    angry, why = _score(sentiment_label="negative", sentiment_score=-0.9)
    assert angry > 15 and "negative" in why["sentiment"].detail
    _, why = _score(texts=["I travel tomorrow and was charged twice, urgent"])
    assert "tomorrow" in why["urgency"].detail and why["urgency"].points == 15
    small, _ = _score(followers=100)
    big, why = _score(followers=180_000)
    assert big > small and "180,000 followers" in why["influence"].detail
    rich, why = _score(spend=Decimal("14980"), tier="gold")
    assert why["tier"].points == 8 and why["customer value"].points > 15
    soon, _ = _score(sla_due_at=NOW + timedelta(minutes=10))
    later, _ = _score(sla_due_at=NOW + timedelta(minutes=100))
    late, why = _score(sla_due_at=NOW - timedelta(minutes=5))
    assert late >= soon > later > 0 and "breached" in why["sla"].detail
    _, why = _score(inbound_count=4, earlier_conversations=1)
    assert "4 earlier contacts" in why["repeat contact"].detail


def test_senator_profile_outranks_a_louder_nobody():
    senator, _ = _score(
        sentiment_label="negative",
        sentiment_score=-0.8,
        texts=["Refused at the lounge. Unacceptable."],
        followers=180_000,
        spend=Decimal("14980"),
        tier="vip",
        category="complaint",
    )
    nobody, _ = _score(
        sentiment_label="negative",
        sentiment_score=-1.0,
        texts=["worst airline ever, refund now, cancel, never again, still waiting for hours"],
        followers=300,
        category="complaint",
        inbound_count=3,
    )
    assert senator > nobody


def test_bands_and_tiers():
    assert [priority_band(p) for p in (80, 55, 30, 5)] == ["urgent", "high", "normal", "low"]
    assert customer_tier(["frequent-flyer", "Gold", "vip"]) == "vip"
    assert customer_tier(["newsletter"]) == ""


def test_classifier_categories():
    assert classify("@acme how do I change my seat?").category == "question"
    assert (
        classify("@acme worst service ever, my bag is lost and nobody helps", sentiment_label="negative").category
        == "complaint"
    )
    assert classify("@acme thanks, the crew was amazing!", sentiment_label="positive").category == "praise"
    assert classify("@acme lol").category == "noise"
    assert not classify("@acme thanks, the crew was amazing!", sentiment_label="positive").needs_response
    c = classify("@acme can you DM me? thanks")
    assert c.needs_response and any("question" in f for f in c.features)
