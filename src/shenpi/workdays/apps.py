from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "shenpi.workdays"
    verbose_name = "工作日历"

    def ready(self):
        # Connects the signals that drop the cached calendar when an administrator edits the table.
        from . import services  # noqa: F401
