"""Influence: the interaction graph and an explainable, consent-aware score per author and person."""

from django.apps import AppConfig


class InfluenceConfig(AppConfig):
    name = "rapport.influence"
    label = "influence"
    verbose_name = "Influence"

    def ready(self) -> None:
        from rapport.contacts.relations import PersonRelation, register_relation
        from rapport.contacts.services import register_detail_extension
        from rapport.core import events
        from rapport.influence import listeners

        events.subscribe("listening.posts_stored", listeners.on_posts_stored)
        from rapport.influence.schemas import InfluenceOut

        register_detail_extension("influence", _contact_influence, InfluenceOut)
        # A score is about one person: recomputed for the kept person after a merge, removed with the person.
        for label, model in (
            ("influence_scores", "influence.Score"),
            ("influence_history", "influence.ScoreSnapshot"),
            ("influence_alerts", "influence.RisingAlert"),
        ):
            register_relation(PersonRelation(label, model, moves_on_merge=False))
        from django.utils.translation import gettext_lazy

        from rapport.listening.ordering import MentionOrder, register_mention_order

        register_mention_order(
            MentionOrder(
                "influence",
                gettext_lazy("Most influential authors first"),
                gettext_lazy("influence"),
                _author_influence,
            )
        )
        from rapport.influence import subject

        subject.register()  # exports show scores with their inputs; an erasure removes them and edges to the person


def _contact_influence(person):
    from rapport.influence.services import contact_influence

    return contact_influence(person)


def _author_influence(workspace_id: int):
    from rapport.influence.services import author_influence

    return author_influence(workspace_id)
