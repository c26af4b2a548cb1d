from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_existing_notices(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Notice = apps.get_model("cases", "Notice")
    issued = (Notice.objects.filter(case=OuterRef("pk")).order_by().values("case")
              .annotate(n=Count("pk")).values("n"))
    Case.objects.filter(notices__isnull=False).update(notices_issued=Coalesce(Subquery(issued), 0))


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0002_visibility_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="notices_issued",
            field=models.PositiveSmallIntegerField(default=0, help_text="文书编号为“办件编号-序号”。",
                                                   verbose_name="已出具文书数"),
        ),
        migrations.RunPython(count_existing_notices, migrations.RunPython.noop),
    ]
