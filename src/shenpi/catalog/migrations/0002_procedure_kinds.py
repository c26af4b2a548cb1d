from django.db import migrations

# 行政许可法 art. 45, plus the kinds service centres add (公示, 现场勘查).
KINDS = [
    ("hearing", "听证", 20),
    ("tender", "招标", 30),
    ("auction", "拍卖", 30),
    ("inspection", "检验", 20),
    ("testing", "检测", 20),
    ("quarantine", "检疫", 20),
    ("appraisal", "鉴定", 30),
    ("expert_review", "专家评审", 20),
    ("publicity", "公示", 10),
    ("site_survey", "现场勘查", 10),
]


def seed(apps, schema_editor):
    ProcedureKind = apps.get_model("catalog", "ProcedureKind")
    for code, name, days in KINDS:
        ProcedureKind.objects.update_or_create(code=code, defaults={"name": name, "default_limit_days": days})


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
