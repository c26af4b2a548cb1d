from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shenpi.cases"
    verbose_name = "办件"

    def ready(self):
        from shenpi.workdays.services import notice_imported

        from . import services

        notice_imported.connect(services._on_notice_imported, dispatch_uid="cases-recompute-dues")
