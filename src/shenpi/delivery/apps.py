from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "shenpi.delivery"
    verbose_name = "送达"

    def ready(self):
        # Imported for what it registers: receivers of case actions (办结 means delivered).
        from . import receivers  # noqa: F401
