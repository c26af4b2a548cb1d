from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shenpi.accounts"
    verbose_name = "用户与角色"
