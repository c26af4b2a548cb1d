from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "shenpi.security"
    verbose_name = "安全审计"

    def ready(self):
        from django.conf import settings

        from shenpi import background

        from . import receivers, tasks

        receivers.connect()
        if settings.AUDIT_PURGE_IN_PROCESS:  # without a broker: one web server process of the machine runs it
            background.register("security-purge", tasks.purge_and_log, interval=6 * 3600.0, first_after=60.0)
