from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "shenpi.exchange"
    verbose_name = "信息交换"

    def ready(self):
        # Imported for what they register: the outbox's receivers of case actions, payments and ratings.
        from . import receivers  # noqa: F401
