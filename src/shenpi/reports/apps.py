from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "shenpi.reports"
    verbose_name = "统计报表"

    def ready(self):
        from django.conf import settings

        from shenpi import background

        # Imported for what they register: every report of the standard set (shenpi.reports.registry).
        from . import catalogue  # noqa: F401

        if settings.MONTHLY_REPORTS_IN_PROCESS:
            # Without a broker: one web server process of the machine checks every
            # SHENPI_MONTHLY_REPORTS_INTERVAL seconds whether last month's department reports are due.
            from . import monthly

            background.register(monthly.JOB, monthly.run_scheduled_and_log,
                                interval=settings.MONTHLY_REPORTS_INTERVAL, first_after=60)
