"""Indexes for performance assessment: cases accepted, completed or refused in a period, and
suspensions begun in it, are read as indexed time ranges (see docs/performance.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0004_audit_trail"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["accepted_at"], name="case_accepted"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["completed_at"], name="case_completed"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(condition=models.Q(("state", "refused")), fields=["closed_at"], name="case_refused"),
        ),
        migrations.AddIndex(
            model_name="clockstop",
            index=models.Index(fields=["started_at"], name="clockstop_started"),
        ),
    ]
