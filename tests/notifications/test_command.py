"""`shenpi notify deliver|test`: counts on stdout, one Chinese line on stderr, exit status 0/1/2."""

from __future__ import annotations

import io

import pytest
from django.db import transaction

from shenpi.notifications import services
from shenpi.notifications.management.commands.notify import Command
from shenpi.notifications.models import Notification
from tests.notifications.conftest import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    # run_from_argv closes the connections at the end; the test's transaction must survive it.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)


def console(*args):
    """The command as the console script runs it: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        Command(stdout=out, stderr=err).run_from_argv(["shenpi", "notify", *args])
    except SystemExit as exited:
        return exited.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def queue(case, **addresses):
    with transaction.atomic():
        return services.create_notifications("case_accepted", case=case, **addresses)


def test_deliver_prints_the_counts(accepted_case):
    queue(accepted_case, mobile="13912345678", email="lisi@example.com")
    assert console("deliver") == (0, "已发送 2，待重试 0，失败 0\n", "")
    assert console("deliver") == (0, "已发送 0，待重试 0，失败 0\n", "")


def test_deliver_reports_retries_without_failing(accepted_case, sms_gateway):
    sms_gateway.answers = [500]
    queue(accepted_case, mobile="13912345678")
    assert console("deliver") == (0, "已发送 0，待重试 1，失败 0\n", "")


def test_deliver_exits_1_when_a_message_fails_for_good(accepted_case, sms_gateway, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 1
    sms_gateway.answers = [500]
    queue(accepted_case, mobile="13912345678")
    code, out, err = console("deliver", "--limit", "10")
    assert (code, out) == (1, "已发送 0，待重试 0，失败 1\n")
    assert err == "1 条通知已达最大尝试次数仍未发出，请在管理后台“通知”中查看原因后重新发送。\n"


@pytest.mark.parametrize("args", [(), ("deliver", "--limit", "many"), ("deliver", "--limit", "0"), ("resend",),
                                  ("test",)])
def test_usage_errors_exit_2_with_one_line(args, org, capsys):
    code, out, err = console(*args)
    err += capsys.readouterr().err  # argparse writes to the process's stderr
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err


def test_test_sends_to_both_channels_at_once(org, smtp_server, sms_gateway):
    code, out, err = console("test", "--email", "ops@example.gov.cn", "--mobile", "13800138000")
    assert (code, err) == (0, "")
    assert out == "电子邮件 o***@example.gov.cn：已发送\n短信 138****8000：已发送\n"
    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["ops@example.gov.cn"] and message["Subject"] == "通知发送测试"
    assert "电子邮件发送测试" in message.get_content()
    assert "短信发送测试" in sms_gateway.received[0]["json"]["text"]


def test_test_reports_a_channel_that_does_not_work(org, settings):
    settings.NOTIFY_SMS, settings.SMS_URL = "http", f"http://127.0.0.1:{free_port()}/sms"
    code, out, err = console("test", "--mobile", "13800138000")
    assert code == 1
    assert out.startswith("短信 138****8000：待发送（无法连接短信网关：") and out.endswith("），将于 10:01 重试\n")
    assert err == "1 条测试通知未发出，请检查通知设置（docs/notifications.md）。\n"
    assert Notification.objects.get().topic == "notify:test"


@pytest.mark.parametrize(("args", "message"), [
    (("--mobile", "0571-87654321"), "“0571-87654321”不是大陆手机号码（应为以1开头的11位数字）。\n"),
    (("--email", "ops.example.gov.cn"), "电子邮件地址“ops.example.gov.cn”无效。\n"),
])
def test_test_refuses_bad_addresses(org, args, message):
    assert console("test", *args) == (1, "", message)
    assert not Notification.objects.exists()
