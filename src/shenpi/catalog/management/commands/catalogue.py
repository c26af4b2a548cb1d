"""`shenpi catalogue export|import`: the item catalogue as JSON or Excel (docs/catalogue-exchange.md);
`shenpi catalogue outlines import FILE`: the districts' and towns' outlines from a GeoJSON
FeatureCollection, matched by the features' `code` property (docs/reports.md, 区县地图).

`import FILE` prints what would change (new items, changed fields, items absent from the file);
with --apply it publishes a new version of each new or changed item in one transaction.
Exit status 0, or 1 with one Chinese line on stderr.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shenpi.catalog import outline_import, outlines, services, transfer


class Command(BaseCommand):
    help = ("事项目录导入导出：export 导出为 JSON 或 Excel；import 预览变更，--apply 发布新版本；"
            "outlines import 导入县区、乡镇辖区轮廓（GeoJSON）。")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{export,import,outlines}")
        export = actions.add_parser("export", help="导出现行事项目录")
        export.add_argument("--format", choices=["json", "xlsx"], default="json")
        export.add_argument("file")
        imported = actions.add_parser("import", help="导入事项目录（默认只预览变更）")
        imported.add_argument("file")
        imported.add_argument("--apply", action="store_true", help="确认导入：为新增和变更的事项发布新版本")
        shapes = actions.add_parser("outlines", help="县区、乡镇辖区轮廓")
        shapes_actions = shapes.add_subparsers(dest="outlines_action", required=True, metavar="{import}")
        shapes_import = shapes_actions.add_parser(
            "import", help="从 GeoJSON FeatureCollection 导入（按 code 属性匹配部门）")
        shapes_import.add_argument("file")

    def handle(self, *args, action, file, **options):
        if action == "outlines":
            self._import_outlines(file)
            return
        if action == "export":
            content = transfer.export_xlsx() if options["format"] == "xlsx" else transfer.export_json()
            try:
                Path(file).write_bytes(content)
            except OSError as error:
                raise CommandError(f"无法写入{file}：{error.strerror}") from None
            self.stdout.write(f"已导出到{file}。")
            return
        try:
            content = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取{file}：{error.strerror}") from None
        try:
            plan = transfer.diff(transfer.parse(content))
        except transfer.TransferError as error:
            raise CommandError(f"文件有{len(error.problems)}处错误：{error}") from None
        for line in plan.lines():
            self.stdout.write(line)
        if plan.problems:
            raise CommandError(f"导入计划有{len(plan.problems)}处不能处理的问题，未作改动。")
        if not options["apply"]:
            if plan.entries:
                self.stdout.write("以上为预览，未作改动；确认无误后加 --apply 导入。")
            return
        try:
            published = transfer.apply(plan)
        except services.CatalogError as error:
            raise CommandError(f"导入失败，未作任何改动：{error}") from None
        self.stdout.write(f"已发布{len(published)}个事项版本。")

    def _import_outlines(self, file: str) -> None:
        try:
            content = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取{file}：{error.strerror}") from None
        try:
            names = outline_import.import_collection(content)
        except outlines.OutlineError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"已导入{len(names)}个辖区轮廓：{'、'.join(names)}。")
