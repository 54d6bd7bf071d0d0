"""Commerce pages and the order webhook (mounted at the site root)."""

from django.urls import path

from rapport.commerce import views, webhooks

app_name = "commerce"
urlpatterns = [
    path("commerce/webhooks/<str:key>", webhooks.receive, name="webhook"),
    path("commerce/review/", views.review, name="review"),
    path("commerce/review/<int:pk>/link/", views.review_link, name="review-link"),
    path("contacts/<int:pk>/value/", views.value_panel, name="value-panel"),
]
