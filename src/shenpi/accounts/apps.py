from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    # This module also holds the lockout app's config: say which one "shenpi.accounts" means.
    default = True
    name = "shenpi.accounts"
    verbose_name = "用户与角色"

    def ready(self):
        from django.contrib.auth import get_user_model, user_logged_in
        from django.db.models.signals import post_save

        from . import sessions
        from .middleware import reckon_at_sign_in

        user_logged_in.connect(reckon_at_sign_in, dispatch_uid="shenpi.second_factor.reckon")
        # set_password() leaves the raw password on the instance until save() has run the validators'
        # password_changed hooks, after post_save: its presence says the password was just changed.
        post_save.connect(_password_saved, sender=get_user_model(), dispatch_uid="shenpi.password_history")
        user_logged_in.connect(sessions.started, dispatch_uid="shenpi.session_started")


def _password_saved(sender, instance, created=False, **kwargs):
    from shenpi.security import audit

    from . import passwords

    if getattr(instance, "_password", None) is not None:
        passwords.remember(instance)
        audit.record("password.changed", user=instance, target=f"user:{instance.pk}", first=created)


class LoginLockoutConfig(AxesConfig):
    """django-axes (login failures and lockouts) under a Chinese heading in the admin."""

    default = False
    verbose_name = "登录失败与锁定"
