"""The settings hub and the users-and-roles pages (each app's own sections are in that app's urls)."""

from django.urls import path

from rapport.web import settings_views as views

app_name = "settings"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("users/", views.users, name="users"),
    path("users/invite/", views.invite, name="invite"),
    path("users/<int:pk>/", views.member_edit, name="member"),
    path("users/<int:pk>/active/", views.member_active, name="member-active"),
    path("users/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("users/<int:pk>/reset/", views.member_reset, name="member-reset"),
]
