from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "shenpi.notifications"
    verbose_name = "通知"

    def ready(self):
        from . import checks  # noqa: F401 - registers the configuration checks
