from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "rapport.care"
    label = "care"
    verbose_name = "Social care inbox"

    def ready(self) -> None:
        from rapport.care import conversations, intake, surveys
        from rapport.core import events

        events.subscribe("identity.posts_linked", intake.on_posts_linked)
        events.subscribe("contacts.touchpoint_logged", conversations.on_touchpoint_logged)
        events.subscribe("conversation.csat_requested", surveys.send_survey)
