"""Two-factor sign-in on the web: the code step after the password, and turning it on and off on the account page.

The password step does not sign the user in when they have an authenticator: it remembers them in the session for
a few minutes, and only a right code then signs them in (so no session ever exists on the password alone)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from rapport.core import twofactor

PENDING = "rapport_2fa_pending"
PENDING_SECONDS = 300


class SignIn(auth_views.LoginView):
    """The sign-in page: password first; users with an authenticator are sent on to the code step."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not twofactor.has_two_factor(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return redirect("login-verify")


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING) or {}
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, pending
    return get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first(), pending


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code step of sign-in."""
    user, pending = _pending_user(request)
    if user is None:
        messages.error(request, "Sign in again: the code step waits five minutes at most.")
        return redirect("login")
    error = ""
    if request.method == "POST":
        device = twofactor.confirmed_device(user)
        ok, error = twofactor.check_code(device, request.POST.get("code", "")) if device else (False, "no device")
        if ok:
            request.session.pop(PENDING, None)
            login(request, user, backend=pending["backend"])
            otp_login(request, device)
            target = pending.get("next") or settings.LOGIN_REDIRECT_URL
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = "/"
            return redirect(target)
    return render(request, "registration/verify.html", {"error": error}, status=200 if not error else 400)


@login_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (scan or type the secret, then prove it with a code) or off (with a code)."""
    user = request.user
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "enable":
            ok, error = twofactor.confirm(user, request.POST.get("code", ""))
            if ok:
                device = twofactor.confirmed_device(user)
                otp_login(request, device)
                messages.success(request, "Two-factor sign-in is on: you will be asked for a code after your password.")
                return redirect("account")
        elif action == "disable":
            ok, error = twofactor.disable(user, request.POST.get("code", ""))
            if ok:
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("account")
        else:
            error = "unknown action"
    context = {"nav": "account", "enabled": twofactor.has_two_factor(user), "error": error}
    if not context["enabled"]:
        device = twofactor.pending_device(user)
        context.update(secret=twofactor.secret_of(device), uri=twofactor.provisioning_uri(device))
    return render(request, "web/two_factor.html", context, status=400 if error else 200)
