from django.apps import AppConfig


class SandboxesConfig(AppConfig):
    name = "shenpi.sandboxes"
    verbose_name = "外部系统沙箱"
