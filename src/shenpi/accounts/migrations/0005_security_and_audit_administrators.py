from django.db import migrations

ROLES = {"security_admin": "安全管理员", "audit_admin": "审计管理员"}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, name in ROLES.items():
        Role.objects.update_or_create(code=code, defaults={"name": name})


def unseed(apps, schema_editor):
    apps.get_model("accounts", "Role").objects.filter(code__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_absences_and_stand_ins")]
    operations = [migrations.RunPython(seed, unseed)]
