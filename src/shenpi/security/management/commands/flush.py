"""`flush` empties the security audit log with every other table.

The log's triggers refuse DELETE (SQLite) and TRUNCATE (PostgreSQL) of its rows; emptying the
whole database is the one other path they let through, so that `flush` (and the test suite,
which flushes between browser tests) works on both databases. It is a database owner's act, like
dropping the triggers: the chain head kept outside the database tells it (docs/security-audit.md).
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from shenpi.security.retention import PERMIT_TABLE


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config('shenpi.security_flush', 'on', false)")
            elif connection.vendor == "sqlite" and PERMIT_TABLE in connection.introspection.table_names(cursor):
                cursor.execute(f"INSERT INTO {PERMIT_TABLE} (cutoff, reason) VALUES ('9999-12-31', 'flush')")  # noqa: S608
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SELECT set_config('shenpi.security_flush', '', false)")
                elif connection.vendor == "sqlite" and PERMIT_TABLE in connection.introspection.table_names(cursor):
                    cursor.execute(f"DELETE FROM {PERMIT_TABLE}")  # noqa: S608
