"""The SMS codes already in the outbox are masked: their bodies were kept with the code readable."""

import re

from django.db import migrations

_CODE = re.compile(r"验证码为(\d+)")


def mask(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    for row in Notification.objects.filter(template="mobile_code").only("pk", "body").iterator():
        masked = _CODE.sub(lambda m: "验证码为" + "*" * len(m.group(1)), row.body)
        if masked != row.body:
            Notification.objects.filter(pk=row.pk).update(body=masked)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_sealed_one_time_codes")]
    operations = [migrations.RunPython(mask, migrations.RunPython.noop)]
