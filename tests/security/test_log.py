"""The security audit log: rows are chained, kept through the caller's rollback when they report a
refusal, never changed (ORM and database), verified, and purged only when older than the retention."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from shenpi import clock
from shenpi.security import retention
from shenpi.security.audit import record
from shenpi.security.chain import verify
from shenpi.security.models import AppendOnly, SecurityChain, SecurityEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _request(user=None, address="10.20.0.9"):
    request = RequestFactory().get("/workbench/", REMOTE_ADDR=address, HTTP_USER_AGENT="Mozilla/5.0 测试")
    if user is not None:
        request.user = user
    return request


def test_an_event_is_kept_with_who_from_where_and_chained():
    person = factories.user(None, "clerk", username="wang")
    record("export.test", request=_request(person), target="case:1", rows=3, ratio=2.0)
    record("login.failed", request=_request(), target="account:li", outcome="failure")
    first, second = SecurityEvent.objects.order_by("id")
    assert (first.action, first.outcome, first.user_id, first.username, first.address, first.user_agent,
            first.target, first.detail) == ("export.test", "success", person.pk, "wang", "10.20.0.9",
                                            "Mozilla/5.0 测试", "case:1", {"rows": 3, "ratio": 2})
    assert first.prev_hash == "" and second.prev_hash == first.hash and len(first.hash) == 64
    assert second.user_id is None and second.username == ""
    head = SecurityChain.objects.get()
    assert (head.head, head.length) == (second.hash, 2)
    assert verify().breaks == []


def test_a_refusal_outlives_the_rollback_of_its_transaction_and_a_success_does_not():
    with pytest.raises(RuntimeError), transaction.atomic():
        record("case.claimed", target="case:9")
        record("case.claim_failed", target="case:9", outcome="failure", reason="wrong code")
        assert not SecurityEvent.objects.exists()  # written after the transaction, not inside it
        raise RuntimeError
    record("login.succeeded")  # the next record made outside a transaction writes what waited
    assert list(SecurityEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "case.claim_failed", "login.succeeded"]
    assert verify().breaks == []


def test_a_success_in_a_committed_transaction_is_written_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        record("admin.changed", target="accounts.user:1")
        assert not SecurityEvent.objects.exists()
    assert SecurityEvent.objects.get().action == "admin.changed"


def test_the_orm_refuses_to_change_or_delete_an_event():
    record("login.succeeded")
    event = SecurityEvent.objects.get()
    event.action = "logout"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        SecurityEvent.objects.filter(pk=event.pk).update(action="logout")
    with pytest.raises(AppendOnly):
        SecurityEvent.objects.all().delete()
    assert SecurityEvent.objects.get().action == "login.succeeded"


def test_the_database_refuses_update_and_delete_in_raw_sql():
    record("login.succeeded")
    table = SecurityEvent._meta.db_table
    for sql in (f"UPDATE {table} SET action = 'logout'", f"DELETE FROM {table}"):  # noqa: S608
        with pytest.raises(DatabaseError, match="只可追加"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert SecurityEvent.objects.get().action == "login.succeeded"


def test_the_database_refuses_a_purge_of_young_rows_even_through_the_purge_path():
    record("login.succeeded")
    table = SecurityEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        retention._permit(cursor, clock.now() + dt.timedelta(days=1))
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert SecurityEvent.objects.count() == 1


def test_verify_finds_an_edited_row_and_a_deleted_row(capsys):
    for n in range(4):
        record("login.succeeded", target=f"account:u{n}")
    third = SecurityEvent.objects.order_by("id")[2]
    _tamper(f"UPDATE {SecurityEvent._meta.db_table} SET target = 'account:someone' WHERE id = {third.pk}")  # noqa: S608
    report = verify()
    assert [(b.event_id, b.problem) for b in report.breaks] == [(third.pk, "内容被修改")]
    with pytest.raises(CommandError) as refused:
        call_command("security", "verify")
    assert f"安全审计记录 #{third.pk}：内容被修改" in str(refused.value)


def test_verify_finds_a_deleted_row_and_a_deleted_latest_row():
    for n in range(4):
        record("login.succeeded", target=f"account:u{n}")
    rows = list(SecurityEvent.objects.order_by("id"))
    _tamper(f"DELETE FROM {SecurityEvent._meta.db_table} WHERE id = {rows[1].pk}")  # noqa: S608
    # The row after the gap no longer links, and the head counts one row more than there are.
    assert [(b.event_id, b.problem) for b in verify().breaks] == [(rows[2].pk, "链接断开"), (None, "链头不符")]
    _tamper(f"DELETE FROM {SecurityEvent._meta.db_table} WHERE id = {rows[3].pk}")  # noqa: S608
    assert [(b.event_id, b.problem) for b in verify().breaks] == [(rows[2].pk, "链接断开"), (rows[2].pk, "链头不符")]


def _tamper(sql: str) -> None:
    """What someone with the database's owner rights could do: lift the guard, change or delete a row."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE security_securityevent DISABLE TRIGGER security_event_append_only")
            cursor.execute(sql)
            cursor.execute("ALTER TABLE security_securityevent ENABLE TRIGGER security_event_append_only")
        else:
            cursor.execute("INSERT INTO security_purge_permit (cutoff, reason) VALUES ('9999', 'flush')")
            cursor.execute("DROP TRIGGER security_event_no_update")
            cursor.execute(sql)
            cursor.execute("CREATE TRIGGER security_event_no_update BEFORE UPDATE ON security_securityevent "
                           "BEGIN SELECT RAISE(ABORT, '安全审计记录只可追加，不可修改或删除（UPDATE）'); END")
            cursor.execute("DELETE FROM security_purge_permit")


def test_retention_deletes_only_the_rows_older_than_the_period_and_the_chain_still_verifies(settings):
    settings.AUDIT_RETENTION_DAYS = 365
    now = clock.now()
    for days, name in ((500, "very old"), (400, "old"), (364, "young"), (200, "younger")):
        with clock.frozen(now - dt.timedelta(days=days)):
            record("login.succeeded", target=name)
    record("login.succeeded", target="today")
    deleted = list(SecurityEvent.objects.order_by("id")[:2].values_list("hash", flat=True))
    result = retention.purge()
    assert result.deleted == 2
    kept = list(SecurityEvent.objects.order_by("id").values_list("target", flat=True))
    assert kept == ["young", "younger", "today", "security_event"]  # the purge records itself
    head = SecurityChain.objects.get()
    assert head.start == deleted[-1] and head.length == 4 and head.purged == 2
    assert verify().breaks == []
    assert retention.purge().deleted == 0  # nothing younger goes, however often it runs


def test_the_retention_setting_refuses_less_than_six_months():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
                          "'shenpi.settings'; django.setup()"], env={**__import__("os").environ,
                                                                     "SHENPI_AUDIT_RETENTION_DAYS": "90"},
                         capture_output=True, text=True)
    assert run.returncode != 0 and "不能少于 183 天" in run.stderr


def test_the_digest_is_the_documented_one():
    """docs/security-audit.md's example, also `printf '%s' '<line>' | openssl dgst -sm3`."""
    from shenpi.security.chain import digest

    moment = dt.datetime(2026, 9, 24, 1, 30, 0, 123456, tzinfo=dt.UTC)
    assert digest(at=moment, action="login.failed", outcome="failure", user_id=None, username="", address="10.20.0.9",
                  user_agent="Mozilla/5.0", target="account:wang", detail={"via": "staff"}, prev_hash="") == \
        "c1f6ebb6d8488a117e749badf903fb95d2b466bc4bcf1bfb8869b690a606a3a6"


def test_a_refusal_waiting_after_a_rollback_is_written_when_the_request_ends():
    from django.core.signals import request_finished
    from django.db import close_old_connections

    with pytest.raises(RuntimeError), transaction.atomic():
        record("identity.verify_failed", target="applicant:1", outcome="failure")
        raise RuntimeError
    assert not SecurityEvent.objects.exists()
    # As the test client does: the test's own transaction must outlive the "request".
    request_finished.disconnect(close_old_connections)
    try:
        request_finished.send(sender=None)
    finally:
        request_finished.connect(close_old_connections)
    assert SecurityEvent.objects.get().action == "identity.verify_failed"


def test_the_purge_command_says_what_it_deleted(settings):
    import io

    settings.AUDIT_RETENTION_DAYS = 200
    with clock.frozen(clock.now() - dt.timedelta(days=300)):
        record("login.succeeded")
    out = io.StringIO()
    call_command("security", "purge", stdout=out)
    assert out.getvalue().startswith("已删除 1 条早于 ") and "北京时间" in out.getvalue()
    assert list(SecurityEvent.objects.values_list("action", flat=True)) == ["audit.purged"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_postgresql_refuses_truncate():
    record("login.succeeded")
    with pytest.raises(DatabaseError, match="TRUNCATE"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {SecurityEvent._meta.db_table}")
    assert SecurityEvent.objects.count() == 1


def test_the_retention_job_is_scheduled():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["purge-security-events"]["task"] == \
        "shenpi.security.tasks.purge_security_events"
