"""Web UI URLs: sign-in, workspace switching, and each domain app's pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from rapport.web import settings_views, twofactor, views

urlpatterns = [
    path("login/", twofactor.SignIn.as_view(), name="login"),
    path("login/code/", twofactor.verify, name="login-verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspace/", views.switch_workspace, name="switch-workspace"),
    path("account/", views.account, name="account"),
    path("account/language/", views.language_view, name="account-language"),
    path("account/password/", views.PasswordChange.as_view(), name="password-change"),
    path("account/two-factor/", twofactor.manage, name="two-factor"),
    path("account/tokens/<int:token_id>/revoke", views.revoke_token_view, name="revoke-token"),
    path("jobs/", views.jobs, name="jobs"),
    path("settings/", include("rapport.web.settings_urls")),
    path("account/set-password/<uidb64>/<token>/", settings_views.SetPassword.as_view(), name="set-password"),
    path("", views.home, name="home"),
    path("", include("rapport.contacts.urls")),
    path("", include("rapport.care.urls")),
    path("", include("rapport.consent.urls")),
]
