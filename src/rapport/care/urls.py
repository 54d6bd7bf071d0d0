"""Care inbox pages."""

from django.urls import path

from rapport.care import views

app_name = "care"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/queue/", views.queue_partial, name="queue"),
    path("inbox/report/", views.report, name="report"),
    path("inbox/<int:pk>/", views.conversation, name="conversation"),
    path("inbox/<int:pk>/reply/", views.reply, name="reply"),
    path("inbox/<int:pk>/status/", views.set_status, name="status"),
    path("survey/<str:token>/", views.survey, name="survey"),
]
