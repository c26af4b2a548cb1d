from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "shenpi.workbench"
    verbose_name = "工作台"
