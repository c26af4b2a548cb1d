"""The database refuses changes to recorded security events (docs/security-audit.md, "Append-only").

UPDATE is always refused. DELETE only through the retention job's path (shenpi.security.retention),
and never of a row younger than 183 days by the database's own clock, whatever the settings say.
Emptying the whole database (`shenpi flush`) is let through: shenpi/security/management/commands/flush.py.

SQLite drops a table's triggers when a migration rebuilds the table: a migration that alters
SecurityEvent must create them again (tests/security/test_append_only.py fails otherwise).
"""

from django.db import migrations

MINIMUM_DAYS = 183
MESSAGE = "安全审计记录只可追加，不可修改或删除"

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION security_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        cut text := coalesce(current_setting('shenpi.security_purge_before', true), '');
    BEGIN
        IF TG_OP = 'DELETE' AND cut <> '' AND OLD.at < cut::timestamptz
           AND cut::timestamptz <= now() - interval '{MINIMUM_DAYS} days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{MESSAGE}（%）', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$;
    """,
    """
    CREATE TRIGGER security_event_append_only BEFORE UPDATE OR DELETE ON security_securityevent
    FOR EACH ROW EXECUTE FUNCTION security_event_append_only();
    """,
    f"""
    CREATE OR REPLACE FUNCTION security_event_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF coalesce(current_setting('shenpi.security_flush', true), '') = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{MESSAGE}（TRUNCATE）' USING ERRCODE = 'insufficient_privilege';
    END
    $$;
    """,
    """
    CREATE TRIGGER security_event_no_truncate BEFORE TRUNCATE ON security_securityevent
    FOR EACH STATEMENT EXECUTE FUNCTION security_event_no_truncate();
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS security_event_no_truncate ON security_securityevent",
    "DROP TRIGGER IF EXISTS security_event_append_only ON security_securityevent",
    "DROP FUNCTION IF EXISTS security_event_no_truncate()",
    "DROP FUNCTION IF EXISTS security_event_append_only()",
]

# Django stores SQLite datetimes as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]': text order is time order.
SQLITE = [
    "CREATE TABLE security_purge_permit (cutoff TEXT NOT NULL, reason TEXT NOT NULL)",
    f"""
    CREATE TRIGGER security_purge_permit_floor BEFORE INSERT ON security_purge_permit
    WHEN NEW.reason <> 'flush' AND NEW.cutoff > strftime('%Y-%m-%d %H:%M:%f', 'now', '-{MINIMUM_DAYS} days')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}：保存期限不足{MINIMUM_DAYS}天'); END
    """,
    f"""
    CREATE TRIGGER security_event_no_update BEFORE UPDATE ON security_securityevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}（UPDATE）'); END
    """,
    f"""
    CREATE TRIGGER security_event_no_delete BEFORE DELETE ON security_securityevent
    WHEN NOT EXISTS (SELECT 1 FROM security_purge_permit WHERE OLD.at < cutoff)
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}（DELETE）'); END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS security_event_no_delete",
    "DROP TRIGGER IF EXISTS security_event_no_update",
    "DROP TABLE IF EXISTS security_purge_permit",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)
    return run


def create_head(apps, schema_editor):
    apps.get_model("security", "SecurityChain").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("security", "0001_security_events")]
    operations = [
        migrations.RunPython(_run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
                             _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE})),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
