"""Campaigns and journeys: permission-based, personalised messages, recommendations and measured response."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class CampaignsConfig(AppConfig):
    name = "rapport.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns and journeys"

    def ready(self) -> None:
        from django.db.models import Q

        from rapport.campaigns import journeys_engine, subject
        from rapport.contacts.relations import PersonRelation, register_relation
        from rapport.core.events import subscribe
        from rapport.web.settings_registry import Section, register_section

        # A send is the record of what one person was sent: it stays with the kept person on a merge (a clash on
        # the same campaign stays put, so the kept person is still never sent that campaign twice).
        register_relation(PersonRelation("campaign_sends", "campaigns.CampaignSend", unique_with=("campaign_id",)))
        # A journey pass and its steps move too; a pass that clashes with one the kept person has (the same entry
        # number, or a second active pass) stays with the absorbed person, whose passes the engine ends.
        register_relation(
            PersonRelation(
                "journey_enrolments",
                "campaigns.Enrolment",
                unique_with=("journey_id", "seq"),
                single=Q(status="active"),
            )
        )
        register_relation(PersonRelation("journey_steps", "campaigns.StepRun"))
        for event, handler in journeys_engine.HANDLERS.items():
            subscribe(event, handler)
        register_section(
            Section(
                "messaging",
                gettext_lazy("Frequency cap and quiet hours"),
                gettext_lazy(
                    "How many marketing messages a person may get per week, and when nothing is sent, for every "
                    "campaign and journey."
                ),
                "campaigns:policy",
                80,
                permission="campaigns.manage",
            )
        )
        register_section(
            Section(
                "mail",
                "Sender signature and bounces",
                "The DKIM domain, selector and key that sign campaign and journey mail, and the bounce webhook.",
                "campaigns:mail-settings",
                81,
            )
        )
        subject.register()  # access exports list what each person was sent; an erasure deletes the rows
