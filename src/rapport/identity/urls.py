"""Identity pages: the review queue and each contact's merge panel (mounted at the site root)."""

from django.urls import path

from rapport.identity import views

app_name = "identity"
urlpatterns = [
    path("identity/review/", views.review_queue, name="review"),
    path("identity/claims/verify/<str:token>/", views.claim_verify, name="claim-verify"),
    path("identity/review/<int:pk>/decide/", views.review_decide, name="review-decide"),
    path("contacts/<int:pk>/merges/", views.merge_panel, name="merge-panel"),
    path("contacts/<int:pk>/merge-candidates/", views.merge_candidates, name="merge-candidates"),
    path("contacts/<int:pk>/merge/", views.merge, name="merge"),
    path("merges/<int:pk>/undo/", views.unmerge, name="unmerge"),
]
