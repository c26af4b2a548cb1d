"""shenpi supervise: run one scan and print what it raised and closed, per level."""

from django.core.management.base import BaseCommand

from shenpi.supervision.scan import scan


class Command(BaseCommand):
    help = "运行一次电子监察扫描，按预警、黄牌、红牌输出新发和解除的数量。"

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true",
                            help="全量扫描（默认：当日首次扫描或监察点修改后为全量，其余为增量）")

    def handle(self, *args, full=False, **options):
        result = scan(full=full)
        for line in result.lines():
            self.stdout.write(line)
