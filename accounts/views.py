"""The sign-in pages: the password form, and the second step's code for medical reviewers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView
from django_otp import devices_for_user
from django_otp import login as otp_login

from accounts.lockout import LockoutFormMixin
from accounts.second_factor import second_factor_verify


class LockoutAuthenticationForm(LockoutFormMixin, AuthenticationForm):
    """The workspace's sign-in form; a lock is named with the time it lifts."""


class LoginView(auth_views.LoginView):
    """The sign-in page. A locked-out attempt is answered 429 by axes' middleware, page kept."""

    authentication_form = LockoutAuthenticationForm


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


@method_decorator(login_required, name="dispatch")
class SecondFactorView(FormView):
    """The second step of a reviewer's sign-in: the code of their authenticator app."""

    form_class = SecondFactorForm
    template_name = "registration/verify.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "has_device": any(devices_for_user(self.request.user)),
            "next": self._next(),
        }

    def form_valid(self, form: SecondFactorForm) -> HttpResponse:
        device = second_factor_verify(user=self.request.user, code=form.cleaned_data["code"])
        if device is None:
            form.add_error(
                "code", "That code is not right, or it has expired. Enter the code shown now."
            )
            return self.form_invalid(form)
        otp_login(self.request, device)
        return redirect(self._next())

    def _next(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        allowed = url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        )
        return target if allowed else reverse(settings.LOGIN_REDIRECT_URL)
