"""The audit trail: SM3 hash chains over the existing case events, in (case, id) order."""

from django.db import migrations, models

from shenpi.cases import trail

CASES_PER_BATCH = 2000
ROWS_PER_STATEMENT = 5000


def _update(connection, table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """UPDATE table SET columns WHERE id, for rows of (values..., id); columns maps a name to its SQL type.

    PostgreSQL gets whole batches as arrays (UPDATE … FROM unnest(…)): one round trip per row is what
    makes a migration of millions of events slow. SQLite, in-process, runs executemany.
    """
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(f"{qn(c)} = %s" for c in columns)
            cursor.executemany(f"UPDATE {qn(table)} SET {assignments} WHERE {qn('id')} = %s", rows)
            return
        assignments = ", ".join(f"{qn(c)} = v.{qn(c)}" for c in columns)
        arrays = ", ".join(f"%s::{kind}[]" for kind in (*columns.values(), "bigint"))
        names = ", ".join(qn(c) for c in (*columns, "id"))
        for i in range(0, len(rows), ROWS_PER_STATEMENT):
            batch = rows[i:i + ROWS_PER_STATEMENT]
            cursor.execute(f"UPDATE {qn(table)} AS t SET {assignments} FROM unnest({arrays}) AS v ({names}) "
                           f"WHERE t.{qn('id')} = v.{qn('id')}", [list(column) for column in zip(*batch)])


def chain_existing_events(apps, schema_editor):
    """Chain the events of a batch of cases in memory, then write their hashes and the heads."""
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    connection = schema_editor.connection
    last = 0
    while True:
        ids = list(Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CASES_PER_BATCH])
        if not ids:
            return
        last = ids[-1]
        rows = (CaseEvent.objects.filter(case_id__gte=ids[0], case_id__lte=last).order_by("case_id", "pk")
                .values_list("pk", *trail.CONTENT_COLUMNS))
        links, heads = [], {}
        for pk, *content in rows:
            case_id = content[0]
            prev, length = heads.get(case_id, (trail.GENESIS, 0))
            digest = trail.row_digest(tuple(content), prev)
            links.append((prev, digest, pk))
            heads[case_id] = (digest, length + 1)
        _update(connection, CaseEvent._meta.db_table, {"prev_hash": "text", "hash": "text"}, links)
        _update(connection, Case._meta.db_table, {"trail_head": "text", "trail_length": "integer"},
                [(head, length, pk) for pk, (head, length) in heads.items()])


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_notices_issued'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='trail_head',
            field=models.CharField(blank=True, help_text='最新一条办件记录的SM3摘要。', max_length=64, verbose_name='审计链链头'),
        ),
        migrations.AddField(
            model_name='case',
            name='trail_length',
            field=models.PositiveIntegerField(default=0, verbose_name='审计链记录数'),
        ),
        migrations.AddField(
            model_name='caseevent',
            name='hash',
            field=models.CharField(blank=True, max_length=64, verbose_name='SM3摘要'),
        ),
        migrations.AddField(
            model_name='caseevent',
            name='prev_hash',
            field=models.CharField(blank=True, max_length=64, verbose_name='上一条记录摘要'),
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop, elidable=False),
    ]
