from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "shenpi.security"
    verbose_name = "安全审计"

    def ready(self):
        from . import receivers

        receivers.connect()
