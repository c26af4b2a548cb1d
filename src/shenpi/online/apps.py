from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "shenpi.online"
    verbose_name = "网上申报与预审"
