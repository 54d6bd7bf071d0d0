"""Care inbox pages."""

from django.urls import path

from rapport.care import settings_views, views

app_name = "care"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/queue/", views.queue_partial, name="queue"),
    path("inbox/report/", views.report, name="report"),
    path("inbox/bulk/", views.bulk, name="bulk"),
    path("inbox/views/", views.save_view, name="save-view"),
    path("inbox/views/<int:pk>/delete/", views.delete_view, name="delete-view"),
    path("inbox/notifications/read/", views.read_notifications, name="read-notifications"),
    path("inbox/<int:pk>/callbacks/", views.schedule_callback, name="schedule-callback"),
    path("inbox/<int:pk>/claims/<int:claim>/<str:decision>/", views.decide_claim, name="decide-claim"),
    path("inbox/<int:pk>/callbacks/<int:task>/done/", views.complete_callback, name="complete-callback"),
    path("inbox/<int:pk>/", views.conversation, name="conversation"),
    path("inbox/<int:pk>/reply/", views.reply, name="reply"),
    path("inbox/<int:pk>/status/", views.set_status, name="status"),
    path("survey/<str:token>/", views.survey, name="survey"),
]

# Settings (admin-only): rapport.care.settings_views, listed on the settings hub.
urlpatterns += [
    path("settings/teams/", settings_views.teams, name="settings-teams"),
    path("settings/teams/new/", settings_views.team_edit, name="settings-team-new"),
    path("settings/teams/<int:pk>/", settings_views.team_edit, name="settings-team-edit"),
    path("settings/teams/<int:pk>/delete/", settings_views.team_delete, name="settings-team-delete"),
    path("settings/agents/", settings_views.agents, name="settings-agents"),
    path("settings/agents/<int:user_id>/", settings_views.agent_edit, name="settings-agent-edit"),
    path("settings/routing/", settings_views.routing_page, name="settings-routing"),
    path("settings/sla/", settings_views.sla_policies, name="settings-sla"),
    path("settings/sla/new/", settings_views.sla_edit, name="settings-sla-new"),
    path("settings/sla/<int:pk>/", settings_views.sla_edit, name="settings-sla-edit"),
    path("settings/sla/<int:pk>/delete/", settings_views.sla_delete, name="settings-sla-delete"),
    path("settings/canned/", settings_views.canned, name="settings-canned"),
    path("settings/canned/new/", settings_views.canned_edit, name="settings-canned-new"),
    path("settings/canned/preview/", settings_views.canned_preview, name="settings-canned-preview"),
    path("settings/canned/<int:pk>/", settings_views.canned_edit, name="settings-canned-edit"),
    path("settings/canned/<int:pk>/delete/", settings_views.canned_delete, name="settings-canned-delete"),
]
