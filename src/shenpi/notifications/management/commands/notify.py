"""`shenpi notify …`: deliver the notification outbox by hand or from cron, and test the channels.

    shenpi notify deliver [--limit 100]      one delivery pass; counts on stdout
    shenpi notify test --email a@b.cn --mobile 13800138000

Exit status: 0 when nothing failed, 1 when a message failed (or bad input), 2 for a usage error;
the reason is one Chinese line on stderr.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from shenpi.commandline import USAGE_ERROR, OneLineCommand, OneLineParser, Refused
from shenpi.notifications import services
from shenpi.notifications.models import Notification


class Command(OneLineCommand):
    help = "通知：发送到期的短信和电子邮件，或发送一条测试通知。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{deliver,test}",
                                        parser_class=OneLineParser)
        deliver = actions.add_parser("deliver", help="发送一轮到期的通知（含到期的重试）")
        deliver.add_argument("--limit", type=int, default=100, help="本轮最多发送的条数（默认100）")
        test = actions.add_parser("test", help="向指定地址发送一条测试通知并立即报告结果")
        test.add_argument("--email", default="", help="电子邮件地址")
        test.add_argument("--mobile", default="", help="手机号码")




    def _deliver(self, options):
        if options["limit"] < 1:
            raise Refused(f"--limit 应为正整数，当前为 {options['limit']}。", USAGE_ERROR)
        outcome = services.deliver_due(options["limit"])
        self.stdout.write(f"已发送 {outcome.sent}，待重试 {outcome.retry}，失败 {outcome.failed}")
        if outcome.failed:
            raise Refused(f"{outcome.failed} 条通知已达最大尝试次数仍未发出，请在管理后台“通知”中查看原因后重新发送。")

    def _test(self, options):
        email, mobile = options["email"].strip(), options["mobile"].strip()
        if not email and not mobile:
            raise Refused("请至少指定 --email 或 --mobile 之一。", USAGE_ERROR)
        if email and not services.normalise_email(email):
            raise Refused(f"电子邮件地址“{email}”无效。")
        if mobile and not services.normalise_mobile(mobile):
            raise Refused(f"“{mobile}”不是大陆手机号码（应为以1开头的11位数字）。")
        with transaction.atomic():
            messages = services.create_notifications("notify_test", email=email or None, mobile=mobile or None,
                                                     topic="notify:test")
        services.deliver_selected(m.pk for m in messages)
        failures = []
        for message in Notification.objects.filter(pk__in=[m.pk for m in messages]).order_by("pk"):
            line = f"{message.get_channel_display()} {message.address_masked}：{message.get_status_display()}"
            if message.status != Notification.Status.SENT:
                retry = timezone.localtime(message.next_attempt_at).strftime("%H:%M")
                line += f"（{message.last_error}）"
                if message.status == Notification.Status.PENDING:
                    line += f"，将于 {retry} 重试"
                failures.append(message)
            self.stdout.write(line)
        if failures:
            raise Refused(f"{len(failures)} 条测试通知未发出，请检查通知设置（docs/notifications.md）。")
