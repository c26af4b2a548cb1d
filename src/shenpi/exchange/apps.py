from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "shenpi.exchange"
    verbose_name = "信息交换"

    def ready(self):
        # Imported for what they register: the outbox's receivers of case actions, payments and ratings,
        # and the administrator's pages of webhook subscriptions (proxy models, apart from the feed's admin).
        from . import receivers, webhook_admin  # noqa: F401
