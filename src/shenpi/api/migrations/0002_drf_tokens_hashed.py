"""DRF's tokens (rest_framework.authtoken, keys in clear) become ApiTokens holding only a digest.

Each keeps working with the same key, for the default lifetime from now, scoped to its holder's own
department with actions allowed (what it could do before, within that department). Its table,
with the keys in clear, is then dropped. A superuser's token is carried over too, so that it shows
in the list, and is refused by the API like any superuser's.
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone

DRF_TABLE = "authtoken_token"


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if DRF_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("api", "ApiToken")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id FROM {DRF_TABLE}")  # noqa: S608
        rows = cursor.fetchall()
    for key, user_id in rows:
        ApiToken.objects.create(
            user_id=user_id, name="原DRF令牌（迁移）", prefix=f"drf_{key[:8]}",
            key_hash=hashlib.sha256(key.encode()).hexdigest(), department_ids=[], item_ids=[], can_act=True,
            created_at=now, expires_at=now + dt.timedelta(days=settings.API_TOKEN_DAYS))
    schema_editor.execute(f"DROP TABLE {DRF_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("api", "0001_api_tokens")]
    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
