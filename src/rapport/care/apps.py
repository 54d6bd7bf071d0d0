from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "rapport.care"
    label = "care"
    verbose_name = "Social care inbox"

    def ready(self) -> None:
        from django.db.models import Q

        from rapport.care import conversations, intake, notifications, routing, surveys
        from rapport.care.models import ConversationStatus
        from rapport.contacts.relations import OnDelete, PersonRelation, register_relation
        from rapport.core import events, privacy

        # A merge moves the absorbed person's conversations (only one may stay open, the others stay put); deleting
        # the person keeps them, detached: the care team's record and its SLA figures outlive the contact.
        register_relation(
            PersonRelation(
                "conversations",
                "care.Conversation",
                on_delete=OnDelete.DETACH,
                single=~Q(status=ConversationStatus.RESOLVED),
            )
        )

        # Whoever may open a conversation in the inbox may read its private messages on timelines too.
        privacy.register_private_audience(routing.private_audience)

        events.subscribe("identity.posts_linked", intake.on_posts_linked)
        events.subscribe("contacts.touchpoint_logged", conversations.on_touchpoint_logged)
        events.subscribe("identity.linked", conversations.on_identity_linked)
        events.subscribe("conversation.csat_requested", surveys.send_survey)
        events.subscribe("conversation.sla_warning", notifications.on_sla_warning)

        from rapport.care import settings_views
        from rapport.web.settings_registry import register_sections

        register_sections(settings_views.SECTIONS)  # teams, skills, routing, SLA policies, canned replies
        # Next-best-action rules read the open conversation's tags and the customer's words.
        from rapport.care import enrichment
        from rapport.consent.enrichment.actions import register_context

        register_context(enrichment.context_for)
        # What it holds about a person, for access exports, erasures and retention.
        from rapport.care import subject

        subject.register()
        # What `rapport bench pipeline` needs of the inbox: a brand channel and the per-post baseline's inbox step.
        from rapport.care import benchhooks
        from rapport.pipeline.benchhooks import BrandHooks, register

        register(
            BrandHooks(
                add_channel=benchhooks.add_channel, route_one=benchhooks.route_one, messages=benchhooks.messages
            )
        )
