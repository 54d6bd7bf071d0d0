"""Campaigns and journeys: permission-based, personalised messages, recommendations and measured response."""

from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "rapport.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns and journeys"

    def ready(self) -> None:
        from rapport.campaigns import subject
        from rapport.contacts.relations import PersonRelation, register_relation

        # A send is the record of what one person was sent: it stays with the kept person on a merge (a clash on
        # the same campaign stays put, so the kept person is still never sent that campaign twice).
        register_relation(PersonRelation("campaign_sends", "campaigns.CampaignSend", unique_with=("campaign_id",)))
        subject.register()  # access exports list what each person was sent; an erasure deletes the rows
