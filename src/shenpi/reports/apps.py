from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "shenpi.reports"
    verbose_name = "统计报表"

    def ready(self):
        # Imported for what they register: every report of the standard set (shenpi.reports.registry).
        from . import catalogue  # noqa: F401
