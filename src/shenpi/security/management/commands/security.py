"""shenpi security purge | verify — the security audit log's retention job and chain check.

    shenpi security purge    delete the events older than SHENPI_AUDIT_RETENTION_DAYS (never younger ones)
    shenpi security verify   walk the SM3 chain; exit 1 with one line per break
"""

from __future__ import annotations

from shenpi.commandline import OneLineCommand, Refused


class Command(OneLineCommand):
    help = "安全审计记录：purge 按保存期限删除过期记录，verify 校验SM3审计链。"

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("purge", help="删除早于保存期限（SHENPI_AUDIT_RETENTION_DAYS）的记录")
        actions.add_parser("verify", help="校验安全审计链；有断点时每处一行并以状态 1 退出")

    def _purge(self, options):
        from django.utils import timezone

        from shenpi.security.retention import purge

        result = purge()
        before = timezone.localtime(result.before)
        self.stdout.write(f"已删除 {result.deleted} 条早于 {before:%Y-%m-%d %H:%M:%S}（北京时间）的安全审计记录。")

    def _verify(self, options):
        from shenpi.security.chain import verify

        report = verify()
        if report.breaks:
            for broken in report.breaks[:-1]:
                self.stderr.write(str(broken))
            raise Refused(str(report.breaks[-1]))
        self.stdout.write(f"安全审计链完整：{report.events} 条记录。")
