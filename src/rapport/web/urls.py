"""Web UI URLs: sign-in, workspace switching, and each domain app's pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from rapport.web import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/", views.switch_workspace, name="switch-workspace"),
    path("account/", views.account, name="account"),
    path("account/password/", views.PasswordChange.as_view(), name="password-change"),
    path("account/tokens/<int:token_id>/revoke", views.revoke_token_view, name="revoke-token"),
    path("jobs/", views.jobs, name="jobs"),
    path("", views.home, name="home"),
    path("", include("rapport.contacts.urls")),
    path("", include("rapport.care.urls")),
    path("", include("rapport.consent.urls")),
]
