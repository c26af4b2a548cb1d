from axes.apps import AppConfig as AxesConfig
from django.apps import AppConfig


class AccountsConfig(AppConfig):
    # This module also holds the lockout app's config: say which one "shenpi.accounts" means.
    default = True
    name = "shenpi.accounts"
    verbose_name = "用户与角色"


class LoginLockoutConfig(AxesConfig):
    """django-axes (login failures and lockouts) under a Chinese heading in the admin."""

    default = False
    verbose_name = "登录失败与锁定"
