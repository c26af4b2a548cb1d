from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "shenpi.fees"
    verbose_name = "统一收费"

    def ready(self):
        # Imported for what it registers: receivers of case actions (办结 waits for payment).
        from . import receivers  # noqa: F401
