"""Public community routes under /community/<workspace>/."""

from django.urls import path

from rapport.community import staff, views

app_name = "community"

urlpatterns = [
    path("<slug:ws>/", views.index, name="index"),
    path("<slug:ws>/c/<slug:slug>/", views.category, name="category"),
    path("<slug:ws>/q/<int:pk>/", views.question, name="question"),
    path("<slug:ws>/q/<int:pk>/answer", views.answer, name="answer"),
    path("<slug:ws>/a/<int:pk>/helpful", views.helpful, name="helpful"),
    path("<slug:ws>/a/<int:pk>/accept", views.accept, name="accept"),
    path("<slug:ws>/q/<int:pk>/flag", views.flag, {"kind": "q"}, name="flag-question"),
    path("<slug:ws>/a/<int:pk>/flag", views.flag, {"kind": "a"}, name="flag-answer"),
    path("<slug:ws>/q/<int:pk>/edit", views.edit_post, {"kind": "q"}, name="edit-question"),
    path("<slug:ws>/a/<int:pk>/edit", views.edit_post, {"kind": "a"}, name="edit-answer"),
    path("<slug:ws>/u/<str:handle>/", views.profile, name="profile"),
    path("<slug:ws>/search", views.search, name="search"),
    path("<slug:ws>/moderation/", staff.queue_page, name="moderation"),
    path("<slug:ws>/analytics/", staff.analytics_page, name="analytics"),
    path("<slug:ws>/analytics.csv", staff.analytics_csv, name="analytics-csv"),
    path("<slug:ws>/moderation/<str:kind>/<int:pk>", staff.moderate_post, name="moderate"),
    path("<slug:ws>/moderation/<str:kind>/<int:pk>/history", staff.post_history, name="history"),
    path("<slug:ws>/moderation/members/suspend", staff.suspend_member, name="suspend"),
    path("<slug:ws>/moderation/members/<int:pk>/lift", staff.lift_suspension, name="lift"),
    path("<slug:ws>/ask", views.ask, name="ask"),
    path("<slug:ws>/join", views.join, name="join"),
    path("<slug:ws>/signin", views.signin, name="signin"),
    path("<slug:ws>/signout", views.signout, name="signout"),
    path("<slug:ws>/verify/resend", views.resend_verification, name="verify-resend"),
    path("<slug:ws>/verify/<str:token>", views.verify, name="verify"),
]
