from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "shenpi.fees"
    verbose_name = "统一收费"

    def ready(self):
        # Imported for what they register: receivers of case actions (办结 waits for payment), and the
        # month summary's day totals kept with every payment recorded.
        from . import receivers, summary  # noqa: F401
