"""The staff and admin logins' password step, throttled (shenpi.security.throttle) in front of django-axes' lockout."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from shenpi.security import throttle


class ThrottledLogin(forms.Form):
    """The throttle's checks around the password check of Django's login forms."""

    captcha = forms.CharField(label="验证码", required=False, max_length=10, strip=True)

    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        refused = throttle.refusal(self.request, username, self.cleaned_data.get("captcha"))
        if refused is not None:
            raise ValidationError(refused.message, code="throttled")
        try:
            return super().clean()
        except ValidationError:
            throttle.failed(self.request, username)
            raise

    def captcha_image(self) -> str:
        """The picture code for the next try, when one is needed (read by the template)."""
        return throttle.picture(self.request, (self.data.get("username") or "").strip() if self.is_bound else "")


class StaffLoginForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """The admin's own login (/admin/login/), throttled like the staff login."""

