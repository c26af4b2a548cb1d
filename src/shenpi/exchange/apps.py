from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "shenpi.exchange"
    verbose_name = "信息交换"

    def ready(self):
        # Imported for what they register: the outbox's receivers of case actions, payments and ratings,
        # and the administrator's pages of webhook subscriptions (proxy models, apart from the feed's admin).
        from django.conf import settings

        from shenpi import background

        from . import receivers, webhook_admin  # noqa: F401

        if settings.EXCHANGE_SEND_IN_PROCESS:
            # Without a broker: one web server process of the machine sends (shenpi.background), woken after
            # each commit that wrote events, and every SHENPI_EXCHANGE_RETRY_FIRST seconds for retries.
            from . import sender

            background.register(sender.SEND_JOB, sender.send_due, interval=settings.EXCHANGE_RETRY_FIRST)
