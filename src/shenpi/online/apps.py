from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "shenpi.online"
    verbose_name = "网上申报与预审"

    def ready(self):
        # Imported for what it registers: a receiver of 受理 (the 受理通知书's word on 容缺 materials online).
        from . import receivers  # noqa: F401
