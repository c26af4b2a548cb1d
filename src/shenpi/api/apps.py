from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "shenpi.api"
    verbose_name = "接口"
