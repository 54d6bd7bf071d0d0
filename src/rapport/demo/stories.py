"""The people of the product's stories, with the history each story needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal


@dataclass
class StoryTouch:
    days_ago: float
    kind: str
    channel: str
    title: str
    body: str = ""
    direction: str = "inbound"
    amount: Decimal | None = None
    data: dict = field(default_factory=dict)


@dataclass
class StoryPerson:
    story: str
    external_id: str
    first_name: str
    last_name: str
    email: str
    phone: str
    city: str
    country: str
    lifecycle_stage: str
    identities: list[dict]
    touches: list[StoryTouch]
    organisation: tuple[str, str] | None = None  # (name, role)
    memberships: list[tuple[str, str, str]] = field(default_factory=list)  # (association, kind, role)
    job_title: str = ""
    customer_number: str = ""
    date_of_birth: str | None = None
    tags: list[str] = field(default_factory=list)


STORIES: list[StoryPerson] = [
    StoryPerson(
        story="United Breaks Guitars",
        external_id="story-ubg",
        first_name="Dave",
        last_name="Carroll",
        email="dave@davecarrollmusic.example",
        phone="+19025550142",
        city="Halifax",
        country="CA",
        lifecycle_stage="lapsed",
        job_title="Musician, Sons of Maxwell",
        identities=[
            {"network": "twitter", "handle": "DaveCarrollMusic", "external_id": "tw-19283746", "followers": 31000}
        ],
        tags=["musician", "complaint-history"],
        touches=[
            StoryTouch(
                420, "purchase", "web", "Flight Halifax → Omaha via Chicago", amount=Decimal("612.40"), direction="none"
            ),
            StoryTouch(
                419,
                "call",
                "phone",
                "Guitar broken by baggage handling at O'Hare",
                "Saw handlers throwing guitars on the tarmac in Chicago. My $3,500 Taylor guitar arrived broken.",
            ),
            StoryTouch(380, "email", "email", "Claim for damaged Taylor guitar", "Still no answer on my claim."),
            StoryTouch(
                300,
                "email",
                "email",
                "Re: Claim — declined",
                "Claim declined: not reported within 24 hours.",
                direction="outbound",
            ),
        ],
    ),
    StoryPerson(
        story="The senator at the lounge",
        external_id="story-senator",
        first_name="Margaret",
        last_name="Ellison",
        email="m.ellison@senate.example",
        phone="+12025550199",
        city="Washington",
        country="US",
        lifecycle_stage="customer",
        job_title="Senator",
        customer_number="FF-1000-0042",
        identities=[{"network": "twitter", "handle": "SenEllison", "external_id": "tw-55501", "followers": 180000}],
        tags=["frequent-flyer", "gold", "vip"],
        touches=[
            *[
                StoryTouch(d, "purchase", "web", "Business class ticket", amount=Decimal("2140.00"), direction="none")
                for d in (400, 330, 260, 190, 120, 60, 20)
            ],
            StoryTouch(
                0.05,
                "post",
                "twitter",
                "Refused at the lounge",
                "Refused entry to the lounge despite Gold status. An hour of useless back and forth. Unacceptable.",
            ),
        ],
    ),
    StoryPerson(
        story="Four agents, four times",
        external_id="story-fouragents",
        first_name="Hanne",
        last_name="Kristensen",
        email="hanne.kristensen@mail.example",
        phone="+4520123456",
        city="Aarhus",
        country="DK",
        lifecycle_stage="customer",
        customer_number="K-778812",
        identities=[{"network": "facebook", "handle": "hanne.kristensen.7", "external_id": "fb-100004"}],
        tags=["moving-house"],
        touches=[
            StoryTouch(
                12,
                "call",
                "phone",
                "Moving house: cancel contract at old address",
                "Moving to Copenhagen on the 1st. Wants to cancel the contract at the old address.",
            ),
            StoryTouch(
                9, "chat", "chat", "Cancellation not registered", "Explains the move and the cancellation again."
            ),
            StoryTouch(6, "email", "email", "Third time: please cancel", "Explains the move for the third time."),
            StoryTouch(
                2,
                "call",
                "phone",
                "Fourth agent, same problem",
                "Explains everything a fourth time; says she will leave.",
            ),
        ],
    ),
    StoryPerson(
        story="The 24-hour rule",
        external_id="story-24h",
        first_name="Lukas",
        last_name="Brenner",
        email="lukas.brenner@mail.example",
        phone="+4915123456789",
        city="München",
        country="DE",
        lifecycle_stage="customer",
        identities=[{"network": "facebook", "handle": "lukas.brenner", "external_id": "fb-200077"}],
        touches=[
            StoryTouch(
                0.3,
                "message",
                "facebook",
                "Booking failed but card charged",
                "My hotel booking for Friday failed but my card was charged. Please help, I travel tomorrow.",
            ),
        ],
    ),
    StoryPerson(
        story="Recognise me",
        external_id="story-recognise",
        first_name="Sofie",
        last_name="Lindqvist",
        email="sofie.lindqvist@mail.example",
        phone="+46701234567",
        city="Göteborg",
        country="SE",
        lifecycle_stage="customer",
        customer_number="C-204411",
        identities=[{"network": "twitter", "handle": "sofielindqvist", "external_id": "tw-777001", "followers": 850}],
        touches=[
            StoryTouch(200, "purchase", "store", "Espresso machine", amount=Decimal("399.00"), direction="none"),
            StoryTouch(150, "email", "email", "Warranty registration", direction="inbound"),
            StoryTouch(40, "call", "phone", "Descaling question"),
        ],
    ),
    StoryPerson(
        story="The wedding and the wildlife lens",
        external_id="story-wedding",
        first_name="Jonas",
        last_name="Weber",
        email="jonas.weber@mail.example",
        phone="+41791234567",
        city="Zürich",
        country="CH",
        lifecycle_stage="customer",
        identities=[{"network": "instagram", "handle": "jonas.weber.photo", "external_id": "ig-3131"}],
        tags=["camera-owner"],
        touches=[
            StoryTouch(500, "purchase", "store", "Full-frame camera body", amount=Decimal("2199.00"), direction="none"),
            StoryTouch(
                6, "message", "email", "Camera in for repair", "Shutter fault; the camera is in repair for a week."
            ),
            StoryTouch(
                1,
                "post",
                "instagram",
                "Wedding in 3 days",
                "Three days until we say yes! #wedding",
                data={"life_event": "wedding", "consented": True},
            ),
        ],
    ),
    StoryPerson(
        story="The wedding and the wildlife lens",
        external_id="story-wildlife",
        first_name="Amelia",
        last_name="Hart",
        email="amelia.hart@mail.example",
        phone="+447700900123",
        city="Bristol",
        country="GB",
        lifecycle_stage="prospect",
        identities=[{"network": "twitter", "handle": "ameliahart_wild", "external_id": "tw-888123", "followers": 4200}],
        tags=["wildlife"],
        touches=[
            StoryTouch(
                30,
                "post",
                "twitter",
                "Otters at dawn",
                "Spent the morning with otters at dawn, need more reach. #wildlife",
            ),
            StoryTouch(
                2, "message", "twitter", "Which camera for birds?", "Which of your cameras is best for birds in flight?"
            ),
        ],
    ),
    StoryPerson(
        story="Payback's mailings",
        external_id="story-payback",
        first_name="Klaus",
        last_name="Schmidt",
        email="klaus.schmidt@mail.example",
        phone="+4917612345678",
        city="Köln",
        country="DE",
        lifecycle_stage="customer",
        customer_number="PB-3081-5522",
        identities=[],
        tags=["loyalty"],
        touches=[
            *[
                StoryTouch(d, "purchase", "store", t, amount=Decimal(a), direction="none")
                for d, t, a in (
                    (90, "Coffee beans 1 kg", "14.99"),
                    (60, "Milk frother", "39.90"),
                    (30, "Coffee beans 1 kg", "14.99"),
                )
            ],
            StoryTouch(29, "voucher_issued", "loyalty", "10% off coffee accessories", direction="outbound"),
            StoryTouch(
                10,
                "voucher_redeemed",
                "loyalty",
                "10% off coffee accessories",
                amount=Decimal("-3.99"),
                direction="none",
            ),
        ],
    ),
    StoryPerson(
        story="The A1 community",
        external_id="story-kohlmark",
        first_name="Markus",
        last_name="Kohl",
        email="markus.kohl@mail.example",
        phone="+436641234567",
        city="Wien",
        country="AT",
        lifecycle_stage="advocate",
        identities=[{"network": "twitter", "handle": "kohlmark", "external_id": "tw-4455", "followers": 2600}],
        memberships=[("A1 Community", "association", "Expert, iPhone 5")],
        tags=["community-expert", "iphone"],
        touches=[
            StoryTouch(
                d,
                "post",
                "forum",
                "Answer: iPhone 5 battery drain",
                "Settings > Battery: check background refresh first.",
                direction="inbound",
            )
            for d in (40, 25, 12, 4)
        ],
    ),
    StoryPerson(
        story="Bosch's tester community",
        external_id="story-tester",
        first_name="Petra",
        last_name="Novak",
        email="petra.novak@werkstatt.example",
        phone="+4915223456789",
        city="Stuttgart",
        country="DE",
        lifecycle_stage="advocate",
        job_title="Master carpenter",
        organisation=("Novak Holzbau GmbH", "Owner"),
        memberships=[("Power Tool Testers", "association", "Tester")],
        identities=[],
        tags=["tester"],
        touches=[
            StoryTouch(
                80,
                "email",
                "web",
                "Tester community opt-in",
                "Registered via opt-in form: industry carpentry, company size 10-49.",
                data={"form": "tester-optin", "industry": "carpentry", "company_size": "10-49"},
            )
        ],
    ),
    StoryPerson(
        story="Tesco's Clubcard",
        external_id="story-clubcard",
        first_name="Sarah",
        last_name="Thompson",
        email="sarah.thompson@mail.example",
        phone="+447700900456",
        city="Leeds",
        country="GB",
        lifecycle_stage="customer",
        customer_number="634004-0012-3456",
        identities=[],
        tags=["clubcard"],
        memberships=[("BNI Leeds Central", "network", "Member")],
        touches=[
            StoryTouch(d, "purchase", "store", t, amount=Decimal(a), direction="none")
            for d, t, a in (
                (70, "Weekly shop: baby food, nappies", "86.20"),
                (63, "Weekly shop: baby food", "74.10"),
                (56, "Weekly shop: nappies, wine", "91.75"),
                (7, "Weekly shop: baby food", "69.30"),
            )
        ],
    ),
]


def when(now: datetime, days_ago: float) -> datetime:
    return now - timedelta(days=days_ago)
