from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    # This module also holds the lockout app's config: say which one "shenpi.accounts" means.
    default = True
    name = "shenpi.accounts"
    verbose_name = "用户与角色"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import reckon_at_sign_in

        user_logged_in.connect(reckon_at_sign_in, dispatch_uid="shenpi.second_factor.reckon")


class LoginLockoutConfig(AxesConfig):
    """django-axes (login failures and lockouts) under a Chinese heading in the admin."""

    default = False
    verbose_name = "登录失败与锁定"
