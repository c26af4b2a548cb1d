from django.db import migrations

ROLES = {
    "clerk": "窗口人员",
    "handler": "承办人",
    "reviewer": "审核人",
    "approver": "审批人(分管领导)",
    "liaison": "部门联络员",
    "supervisor": "监察员",
    "admin": "中心管理员",
}


def seed(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, name in ROLES.items():
        Role.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
