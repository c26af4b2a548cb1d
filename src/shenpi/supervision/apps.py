from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SupervisionConfig(AppConfig):
    name = "shenpi.supervision"
    verbose_name = "电子监察"

    def ready(self):
        from . import receivers  # noqa: F401 - registers the receiver of case actions

        post_migrate.connect(_install_rules, sender=self, dispatch_uid="supervision-install-rules")


def _install_rules(sender, using="default", **kwargs) -> None:
    """Every rule the code knows exists as a row; rows already there keep their edited thresholds."""
    from django.db import connections

    from .models import Rule
    from .rules import REGISTRY

    if Rule._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated backwards past the supervision tables
    known = set(Rule.objects.using(using).values_list("code", flat=True))
    Rule.objects.using(using).bulk_create([
        Rule(code=d.code, name=d.name, category=d.category, level=d.level, basis=d.basis,
             description=d.description, params=d.params)
        for d in REGISTRY.values() if d.code not in known
    ])
