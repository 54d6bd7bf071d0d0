"""Segments: saved, live selections of people over attributes, behaviour, social signals and value."""

from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "rapport.segments"
    label = "segments"
    verbose_name = "Segments"

    def ready(self) -> None:
        from rapport.contacts.relations import PersonRelation, register_relation
        from rapport.core import events
        from rapport.segments import listeners

        # Memberships are derived: a merge re-evaluates the kept person instead of moving rows; they go with a person.
        register_relation(PersonRelation("segment_memberships", "segments.SegmentMember", moves_on_merge=False))
        # Lifecycle first: a move it makes emits contact.updated, which the segment handler then sees.
        for event in ("commerce.value_changed", "listening.posts_stored", "identity.posts_linked"):
            events.subscribe(event, listeners.on_signals)
        for event in (
            "commerce.value_changed",
            "contact.created",
            "contact.updated",
            "contact.merged",
            "contact.unmerged",
            "listening.posts_stored",
            "identity.posts_linked",
        ):
            events.subscribe(event, listeners.on_people_changed)
        from rapport.influence.lists import Audiences, register_audiences
        from rapport.segments import subject
        from rapport.segments.services import tag_audience

        register_audiences(Audiences(ensure=tag_audience))  # the Influencers page's "add to a list"
        subject.register()
