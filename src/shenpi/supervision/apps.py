from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class SupervisionConfig(AppConfig):
    name = "shenpi.supervision"
    verbose_name = "电子监察"

    def ready(self):
        from django.conf import settings

        from shenpi import background
        from shenpi.cases import deadlines
        from shenpi.workbench.panels import register_case_panel

        # Imported for what they register: the receiver of case actions, every rule's definition
        # (rules_joint adds the stage and joint-review rules and the green channel's side of time.case).
        from . import receivers, rules, rules_joint  # noqa: F401
        from .alerts import case_supervision

        post_migrate.connect(_install_rules, sender=self, dispatch_uid="supervision-install-rules")
        # 即将到期 everywhere (workbench, API, board) follows the thresholds edited on the time rules.
        deadlines.read_from(time_thresholds)
        rule = self.get_model("Rule")
        post_save.connect(deadlines.forget, sender=rule, dispatch_uid="supervision-rule-saved")
        post_delete.connect(deadlines.forget, sender=rule, dispatch_uid="supervision-rule-deleted")
        # The case page's 电子监察 panel (supervision/_case_alerts.html reads `supervision`).
        register_case_panel("supervision", case_supervision)
        if settings.SUPERVISE_IN_PROCESS:
            # Without a broker: one web server process of the machine scans (shenpi.background), woken
            # after case actions commit (receivers.scan_soon).
            from . import tasks

            background.register(receivers.SCAN_JOB, tasks.scan_and_log, interval=settings.SUPERVISE_INTERVAL,
                                soon=settings.SUPERVISE_SOON)


def time_thresholds():
    """The horizons of time.case and time.step as edited (defaults for what is not set)."""
    from shenpi.cases.deadlines import Horizon, Thresholds

    from .models import Rule
    from .registry import REGISTRY

    edited = dict(Rule.objects.filter(code__in=("time.case", "time.step")).values_list("code", "params"))

    def horizon(code: str) -> Horizon:
        return Horizon.of({**REGISTRY[code].params, **(edited.get(code) or {})})

    return Thresholds(case=horizon("time.case"), step=horizon("time.step"))


def _install_rules(sender, using="default", **kwargs) -> None:
    """Every rule the code knows exists as a row; rows already there keep their edited thresholds."""
    from django.db import connections

    from .models import Rule
    from .registry import REGISTRY

    if Rule._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated backwards past the supervision tables
    known = set(Rule.objects.using(using).values_list("code", flat=True))
    Rule.objects.using(using).bulk_create([
        Rule(code=d.code, name=d.name, category=d.category, level=d.level, basis=d.basis,
             description=d.description, params=d.params)
        for d in REGISTRY.values() if d.code not in known
    ])
