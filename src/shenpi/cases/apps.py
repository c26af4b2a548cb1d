from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shenpi.cases"
    verbose_name = "办件"

    def ready(self):
        from shenpi.workdays.services import notice_imported

        from . import receivers, services  # noqa: F401 - receivers registers the cases app's own hooks

        notice_imported.connect(services._on_notice_imported, dispatch_uid="cases-recompute-dues")
