"""The community's settings page, listed on the settings hub (the public pages are in community/urls.py)."""

from django.urls import path

from rapport.community import settings_views

app_name = "community-settings"
urlpatterns = [
    path("settings/community/", settings_views.rules, name="rules"),
    path("settings/community/categories/", settings_views.category_list, name="categories"),
    path("settings/community/categories/new/", settings_views.category_edit, name="category-new"),
    path("settings/community/categories/<int:pk>/", settings_views.category_edit, name="category-edit"),
    path("settings/community/categories/<int:pk>/delete/", settings_views.category_delete, name="category-delete"),
]
