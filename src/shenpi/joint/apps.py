from django.apps import AppConfig


class JointConfig(AppConfig):
    name = "shenpi.joint"
    verbose_name = "项目与并联审批"

    def ready(self):
        # Imported for what it registers: receivers of case actions (a project's code checked at 收件,
        # the green channel's limits and notices, each stage's clock kept with its parts' actions).
        from . import receivers  # noqa: F401
