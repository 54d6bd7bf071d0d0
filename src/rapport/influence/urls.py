"""Influence pages."""

from django.urls import path

from rapport.influence import views

app_name = "influence"
urlpatterns = [
    path("influencers/", views.influencers, name="influencers"),
    path("influencers/list/", views.add_to_list, name="add_to_list"),
    path("influencers/person/<int:pk>/", views.influencer, {"kind": "p"}, name="person"),
    path("influencers/account/<int:pk>/", views.influencer, {"kind": "i"}, name="account"),
    path("contacts/<int:pk>/influence/", views.person_panel, name="person-panel"),
]
