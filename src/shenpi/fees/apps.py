from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "shenpi.fees"
    verbose_name = "统一收费"

    def ready(self):
        # Imported for what they register: receivers of case actions (办结 waits for payment), and the
        # month summary's day totals kept with every payment recorded.
        from django.conf import settings

        from shenpi import background

        from . import receivers, summary, tasks  # noqa: F401

        if settings.PAYMENT_QUERY_IN_PROCESS:  # without a broker: one web server process of the machine runs it
            background.register("fees-query-orders", tasks.query_and_log, interval=60.0, first_after=60.0)
