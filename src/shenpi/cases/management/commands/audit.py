"""`shenpi audit verify [--case NUMBER] [--all-breaks]`: check the SM3 hash chains of case events and
each case row against the seal of its latest event.

Exit status 0 with a summary on stdout when every chain is whole; 1 with one line per broken
chain on stderr (the first break of each case: case number, event id, what is wrong); 2 when
the command cannot run (unknown case number, bad arguments).

`shenpi audit seal [--case NUMBER]`: once after the upgrade, seal the cases whose latest event
predates sealed events (one `seal` event each).
"""

from __future__ import annotations

import sys

from django.core.management.base import CommandError

from shenpi.cases import services, trail
from shenpi.cases.models import Case
from shenpi.commandline import OneLineCommand, OneLineParser

BROKEN = 1
INPUT_ERROR = 2


class Command(OneLineCommand):
    """Its own handle(): a broken trail is several lines (one per case), not one refusal."""

    help = "审计链：校验每个办件的办理记录SM3哈希链及办件信息封存，找出被修改、删除或插入的记录。"
    requires_system_checks = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{verify,seal}",
                                        parser_class=OneLineParser)
        verify = actions.add_parser("verify", help="逐个办件校验记录链、链头与办件信息封存；发现断裂时以状态1退出")
        verify.add_argument("--case", metavar="NUMBER", help="只校验该办件编号的记录链")
        verify.add_argument("--all-breaks", action="store_true",
                            help="校验全部办件，列出每个有断裂的办件（默认在第一处断裂即停止）")
        seal = actions.add_parser("seal", help="为尚未封存的办件（升级前的记录）追加一条封存记录")
        seal.add_argument("--case", metavar="NUMBER", help="只封存该办件")

    def handle(self, *args, action, **options):
        number = options.get("case")
        if number is not None:
            number = number.strip().upper()
            if not Case.objects.filter(number=number).exists():
                self._fail([f"办件 {number} 不存在。"], INPUT_ERROR)
        if action == "seal":
            sealed = services.seal_unsealed(case_number=number)
            self.stdout.write(f"已封存 {sealed} 个办件。")
            return
        report = trail.verify(case_number=number, all_breaks=options.get("all_breaks", False))
        if report.breaks:
            lines = [str(b) for b in report.breaks]
            if options.get("all_breaks"):
                lines.append(f"审计链有 {len(report.breaks)} 个办件断裂（已校验 {report.cases} 个办件，"
                             f"{report.events} 条记录）。")
            self._fail(lines, BROKEN)
        self.stdout.write(f"审计链完整：{report.cases} 个办件，{report.events} 条记录")

    def _fail(self, lines: list[str], code: int) -> None:
        if self._on_console:
            for line in lines:
                self.stderr.write(line)
            sys.exit(code)
        for line in lines[:-1]:
            self.stderr.write(line)
        raise CommandError(lines[-1], returncode=code)
