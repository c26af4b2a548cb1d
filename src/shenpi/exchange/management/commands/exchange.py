"""`shenpi exchange …`: the outbox of events for the upper platforms and department systems.

    shenpi exchange status                       per destination: events waiting, sending, delivered,
                                                 failed (the dead-letter list), its backoff
    shenpi exchange send [--max-batches N]       send what is due now, in this process
    shenpi exchange resend (--all | ID …) [--destination CODE]
                                                 put failed deliveries back in the outbox, tries afresh
    shenpi exchange mapping load FILE            create or replace a receiver format from JSON
    shenpi exchange mapping export NAME [-o FILE]
    shenpi exchange mapping list

Exit status 0, or non-zero with one Chinese line on stderr.
"""

from __future__ import annotations

from pathlib import Path

from django.db.models import Count, Min, Q

from shenpi import clock
from shenpi.commandline import OneLineCommand, Refused
from shenpi.errors import InvalidInput
from shenpi.exchange import mappings, sender
from shenpi.exchange.models import Delivery, Destination, Mapping

S = Delivery.Status


class Command(OneLineCommand):
    help = "信息交换：status 投递情况，send 立即投递，resend 重新投递失败事件，mapping 报送格式。"
    refusals = (InvalidInput,)

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status", help="各接收方的待投递、投递中、已投递、投递失败数")
        send = actions.add_parser("send", help="在本进程中立即投递到期事件")
        send.add_argument("--max-batches", type=int, default=1000, help="最多投递的批数")
        resend = actions.add_parser("resend", help="重新投递失败事件（死信）")
        resend.add_argument("ids", nargs="*", type=int, help="投递记录id")
        resend.add_argument("--all", action="store_true", help="全部失败事件")
        resend.add_argument("--destination", default="", help="仅此接收方（代码）")
        mapping = actions.add_parser("mapping", help="报送格式：load / export / list")
        what = mapping.add_subparsers(dest="mapping_action", required=True)
        load = what.add_parser("load", help="从JSON文件载入（同名则替换）")
        load.add_argument("file")
        export = what.add_parser("export", help="导出为JSON")
        export.add_argument("name")
        export.add_argument("-o", "--output", default="", help="写入此文件（默认输出到屏幕）")
        what.add_parser("list", help="列出报送格式")

    def _status(self, options):
        counts = {row["destination_id"]: row for row in Delivery.objects.values("destination_id").annotate(
            pending=Count("pk", filter=Q(status=S.PENDING)), sending=Count("pk", filter=Q(status=S.SENDING)),
            delivered=Count("pk", filter=Q(status=S.DELIVERED)), failed=Count("pk", filter=Q(status=S.FAILED)),
            oldest=Min("created_at", filter=Q(status__in=[S.PENDING, S.SENDING])))}
        destinations = list(Destination.objects.all())
        if not destinations:
            self.stdout.write("未配置接收方。")
            return
        now = clock.now()
        for destination in destinations:
            row = counts.get(destination.pk, {})
            line = (f"{destination.code}\t{destination.get_kind_display()}\t{'启用' if destination.active else '停用'}"
                    f"\t待投递 {row.get('pending', 0)}\t投递中 {row.get('sending', 0)}"
                    f"\t已投递 {row.get('delivered', 0)}\t投递失败 {row.get('failed', 0)}")
            if row.get("oldest"):
                line += f"\t最早待投递 {int((now - row['oldest']).total_seconds())} 秒前"
            if destination.retry_at and destination.retry_at > now:
                line += f"\t连续失败 {destination.failures} 次，暂停至 {destination.retry_at:%Y-%m-%d %H:%M:%S}"
            self.stdout.write(line)

    def _send(self, options):
        if options["max_batches"] < 1:
            raise Refused("--max-batches 应为正整数。")
        sent = sender.send_due(max_batches=options["max_batches"])
        self.stdout.write(f"投递 {sent.batches} 批：已投递 {sent.delivered}，待重试 {sent.retried}，"
                          f"转入失败 {sent.dead}。")
        for error in sent.errors:
            self.stderr.write(error)

    def _resend(self, options):
        ids, everything, code = options["ids"], options["all"], options["destination"]
        if not ids and not everything:
            raise Refused("请指定投递记录id，或用 --all 重新投递全部失败事件。")
        rows = Delivery.objects.all()
        if code:
            if not Destination.objects.filter(code=code).exists():
                raise Refused(f"没有代码为“{code}”的接收方。")
            rows = rows.filter(destination__code=code)
        if ids:
            rows = rows.filter(pk__in=ids)
            found = set(rows.filter(status=S.FAILED).values_list("pk", flat=True))
            missing = [str(i) for i in ids if i not in found]
            if missing:
                raise Refused(f"以下投递记录不存在或不是投递失败状态：{'、'.join(missing)}。")
        count = sender.resend(rows)
        self.stdout.write(f"已将 {count} 个失败事件重新放入待投递。")

    def _mapping(self, options):
        getattr(self, f"_mapping_{options['mapping_action']}")(options)

    def _mapping_load(self, options):
        mapping, created = mappings.load(options["file"])
        self.stdout.write(f"{'已新建' if created else '已替换'}报送格式“{mapping.name}”：{len(mapping.fields)} 个字段，"
                          f"{len(mapping.codes)} 张代码表，{len(mapping.item_codes)} 个事项编码。")

    def _mapping_export(self, options):
        mapping = Mapping.objects.filter(name=options["name"]).first()
        if mapping is None:
            raise Refused(f"没有名为“{options['name']}”的报送格式。")
        text = mappings.export(mapping)
        if not options["output"]:
            self.stdout.write(text, ending="")
            return
        try:
            Path(options["output"]).write_text(text, encoding="utf-8")
        except OSError as error:
            raise Refused(f"无法写入{options['output']}：{error.strerror or error}。") from None
        self.stdout.write(f"已导出报送格式“{mapping.name}”到 {options['output']}。")

    def _mapping_list(self, options):
        for mapping in Mapping.objects.all():
            self.stdout.write(f"{mapping.name}\t{len(mapping.fields)} 个字段\t"
                              f"{mapping.destinations.count()} 个接收方使用")
