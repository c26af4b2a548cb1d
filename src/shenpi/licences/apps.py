from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "shenpi.licences"
    verbose_name = "证照与电子证照库"

    def ready(self):
        # Imported for what it registers: receivers of case actions (licences cited at 收件).
        from . import receivers  # noqa: F401
