"""Care inbox pages."""

from django.urls import path

from rapport.care import views

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
    path("inbox/<int:pk>/callbacks/<int:task>/done/", views.complete_callback, name="complete-callback"),
    path("inbox/<int:pk>/", views.conversation, name="conversation"),
    path("inbox/<int:pk>/reply/", views.reply, name="reply"),
    path("inbox/<int:pk>/status/", views.set_status, name="status"),
    path("survey/<str:token>/", views.survey, name="survey"),
]
