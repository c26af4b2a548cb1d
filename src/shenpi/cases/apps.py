from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "shenpi.cases"
    verbose_name = "办件"
