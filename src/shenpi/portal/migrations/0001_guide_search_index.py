"""A trigram index for the public guide search, on PostgreSQL when pg_trgm can be had.

The search (shenpi.portal.guides.SEARCH_TEXT) looks for substrings in one expression over the
published versions' name, result, conditions and legal basis. With pg_trgm a GIN index answers
LIKE '%施工许可%' without reading the table; without it (SQLite, or a server where the extension
is missing or may not be created) the search scans, which a few thousand items allow. Nothing
else changes: the index belongs to the search, and the catalogue's tables keep their shape.
"""

from django.db import DatabaseError, migrations, transaction

INDEX = "portal_guide_search_trgm"
# The same expression as guides.SEARCH_TEXT, or PostgreSQL will not use the index.
EXPRESSION = "(name || ' ' || result_name || ' ' || conditions || ' ' || legal_basis)"


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return  # not allowed to create it here: the search scans instead
        # fastupdate off: a new version goes straight into the index instead of a pending list that
        # only VACUUM merges (until then the planner prices the index as slow and scans the table).
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON catalog_itemversion "
                       f"USING gin ({EXPRESSION} gin_trgm_ops) WITH (fastupdate = off)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_procedure_kinds"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
