"""Catalogue exchange (事项目录导入导出): the item list as JSON or Excel, and a re-import as a plan.

export() writes each item's version in force with everything a case depends on (materials, fees,
flow, special-procedure limits). parse() reads a file back, typed by its content, and refuses it
with every row and field at fault. diff() compares it with the catalogue: new items, changed fields
per item, items absent from the file. apply() carries the plan out in one transaction through the
catalogue's own publishing path: a changed item gets a new version that retires the old one, so a
case keeps the version it was accepted under.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from openpyxl import Workbook, load_workbook

from shenpi import clock, spreadsheets
from shenpi.accounts.models import Role, User

from . import services
from .models import (
    Department,
    FeeStandard,
    FlowStep,
    Item,
    ItemProcedure,
    ItemVersion,
    MaterialSpec,
    ProcedureKind,
    fee_standard_problems,
)

FORMAT, FORMAT_VERSION = "shenpi-catalogue", 1

# The version fields a file carries, in the order of the Excel columns.
VERSION_FIELDS = [
    "name", "type", "audience", "publicity", "legal_basis", "conditions", "statutory_limit", "promised_limit",
    "shortest_limit", "extension_limit", "joint_handling", "fee_basis", "free_of_charge", "result_name", "where",
    "office_hours", "how_to_apply", "online_depth", "max_visits", "contact_phone", "deferral_days",
    "pay_before_completion", "deferral_rule",
]
MATERIAL_FIELDS = ["name", "required", "form", "copies", "deferrable", "note", "licence_type_code"]
FEE_FIELDS = ["name", "standard", "kind", "amount", "unit", "unit_price", "tiers", "basis"]
STEP_FIELDS = ["seq", "name", "role", "department", "limit", "limit_unit"]
CHILDREN = {"materials": "申请材料", "fees": "收费标准", "steps": "办理流程", "procedures": "特别程序"}


class TransferError(Exception):
    """A file refused: every problem found, each naming its row (or item) and field."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems[:20]) + ("……" if len(problems) > 20 else ""))
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------

def _money(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def item_record(version: ItemVersion) -> dict:
    """One item as the file holds it (the version's rows in their published order)."""
    record = {"code": version.item.code, "department": version.item.department.code}
    record.update({name: getattr(version, name) for name in VERSION_FIELDS})
    record["materials"] = [{name: getattr(m, name) for name in MATERIAL_FIELDS}
                           for m in version.materials.order_by("seq", "pk")]
    record["fees"] = [{"name": f.name, "standard": f.standard, "kind": f.kind, "amount": _money(f.amount),
                       "unit": f.unit, "unit_price": _money(f.unit_price),
                       "tiers": [{"up_to": None if t.get("up_to") is None else str(t["up_to"]),
                                  "price": str(t["price"])} for t in f.tiers],
                       "basis": f.basis} for f in version.fees.order_by("pk")]
    record["steps"] = [{"seq": s.seq, "name": s.name, "role": s.role_id,
                        "department": s.department.code if s.department_id else None,
                        "limit": s.limit, "limit_unit": s.limit_unit}
                       for s in version.steps.select_related("department").order_by("seq", "pk")]
    record["procedures"] = {p.kind.code: p.limit_days for p in
                            ItemProcedure.objects.filter(version=version).select_related("kind").order_by("kind__code")}
    return record


def current_records(items=None) -> list[dict]:
    """The version in force of each item (all items when None), by code."""
    versions = ItemVersion.objects.published().select_related("item__department").order_by("item__code")
    if items is not None:
        versions = versions.filter(item__in=items)
    return [item_record(v) for v in versions]


def export_json(items=None) -> bytes:
    document = {"format": FORMAT, "format_version": FORMAT_VERSION, "exported_at": clock.now().isoformat(),
                "items": current_records(items)}
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


# Excel: one sheet per table, the child sheets keyed by 事项编码. Headings are the verbose names.
def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


ITEM_HEADER = ["事项编码", "实施部门编码"] + [_label(ItemVersion, n) for n in VERSION_FIELDS]
MATERIAL_HEADER = ["事项编码"] + [_label(MaterialSpec, n) for n in MATERIAL_FIELDS]
FEE_HEADER = ["事项编码"] + [_label(FeeStandard, n) for n in FEE_FIELDS]
STEP_HEADER = ["事项编码", "顺序", "环节名称", "办理角色", "办理部门编码", "时限", "时限单位"]
PROCEDURE_HEADER = ["事项编码", "特别程序代码", "时限(工作日)"]
YES, NO = "是", "否"


def _cell(value):
    if isinstance(value, bool):
        return YES if value else NO
    return "" if value is None else value


def _tier_cell(tiers: list) -> str:
    return json.dumps(tiers, ensure_ascii=False) if tiers else ""


def export_xlsx(items=None) -> bytes:
    records = current_records(items)
    book = Workbook()
    stamp = (f"导出时间：{clock.now():%Y-%m-%d %H:%M}；格式 {FORMAT} 第{FORMAT_VERSION}版。"
             "是/否 填“是”或“否”，空格为无。")
    tables = [
        ("事项", ITEM_HEADER, [[r["code"], r["department"], *(r[n] for n in VERSION_FIELDS)] for r in records]),
        ("申请材料", MATERIAL_HEADER, [[r["code"], *(m[n] for n in MATERIAL_FIELDS)]
                                   for r in records for m in r["materials"]]),
        ("收费标准", FEE_HEADER, [[r["code"], *(_tier_cell(f[n]) if n == "tiers" else f[n]
                                            for n in FEE_FIELDS)] for r in records for f in r["fees"]]),
        ("办理流程", STEP_HEADER, [[r["code"], *(s[n] for n in STEP_FIELDS)] for r in records for s in r["steps"]]),
        ("特别程序", PROCEDURE_HEADER, [[r["code"], code, days] for r in records
                                    for code, days in r["procedures"].items()]),
    ]
    for index, (title, header, rows) in enumerate(tables):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        # Empty strings and None both become a blank cell, never the report's "—".
        spreadsheets.titled_table(sheet, f"事项目录：{title}", stamp, header,
                                  [[_cell(v) for v in row] for row in rows], frozen_columns=1)
        for row in sheet.iter_rows(min_row=spreadsheets.HEAD_ROW + 1):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.number_format = "@"
    return spreadsheets.saved(book)


# ---------------------------------------------------------------------------------------------
# Parse
# ---------------------------------------------------------------------------------------------

@dataclass
class Parsed:
    items: list[dict]
    # Where each item came from, for messages: code → "第N行" or "第N个事项".
    places: dict[str, str] = field(default_factory=dict)
    # Values that could not be read; the rows are still checked, so one pass reports everything.
    problems: list[str] = field(default_factory=list)


def kind_of(content: bytes) -> str:
    """"xlsx" or "json" by what the bytes are, whatever the file is called."""
    if content[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise TransferError(["文件是压缩包但不是Excel工作簿(.xlsx)。"])
    text = content.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:1] in (b"{", b"["):
        return "json"
    raise TransferError(["文件既不是Excel工作簿(.xlsx)也不是JSON，无法导入。"])


def parse(content: bytes) -> Parsed:
    parsed = _parse_xlsx(content) if kind_of(content) == "xlsx" else _parse_json(content)
    problems = parsed.problems + _duplicates(parsed)
    problems += [p for record in parsed.items for p in _check(record, parsed.places)]
    if problems:
        raise TransferError(problems)
    return parsed


def _parse_json(content: bytes) -> Parsed:
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise TransferError([f"JSON格式错误：{error}"]) from None
    items = document.get("items") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise TransferError(["JSON应为 {\"items\": [...]} 或事项数组。"])
    problems, records, places = [], [], {}
    for n, raw in enumerate(items, start=1):
        if not isinstance(raw, dict) or not str(raw.get("code") or "").strip():
            problems.append(f"第{n}个事项：缺少事项编码。")
            continue
        record = _normalised(raw, f"第{n}个事项（{raw['code']}）", problems)
        records.append(record)
        places[record["code"]] = f"第{n}个事项（{record['code']}）"
    return Parsed(records, places, problems)


_INTEGERS = {"statutory_limit", "promised_limit", "shortest_limit", "extension_limit", "online_depth", "max_visits",
             "deferral_days", "copies", "seq", "limit"}
_BOOLEANS = {"joint_handling", "free_of_charge", "pay_before_completion", "required", "deferrable"}


def _value(name: str, value, place: str, label: str, problems: list[str]):
    """A cell or JSON value as the model field wants it; a problem noted when it cannot be."""
    if isinstance(value, str):
        value = value.strip()
    if name in _BOOLEANS:
        if isinstance(value, bool):
            return value
        if value in (YES, "true", "True", 1):
            return True
        if value in (NO, "false", "False", 0, "", None):
            return False
        problems.append(f"{place} {label}：应填“是”或“否”，不是“{value}”。")
        return False
    if name in _INTEGERS:
        if value in ("", None):
            return None
        try:
            number = int(Decimal(str(value)))
            if number != Decimal(str(value)) or number < 0:
                raise ValueError
            return number
        except (ValueError, ArithmeticError):
            problems.append(f"{place} {label}：应为不小于0的整数，不是“{value}”。")
            return None
    if name in ("amount", "unit_price"):
        if value in ("", None):
            return None
        try:
            return _money(Decimal(str(value)))
        except ArithmeticError:
            problems.append(f"{place} {label}：应为金额，不是“{value}”。")
            return None
    return "" if value is None else str(value) if not isinstance(value, (list, dict)) else value


def _normalised(raw: dict, place: str, problems: list[str]) -> dict:
    record = {"code": str(raw["code"]).strip(), "department": str(raw.get("department") or "").strip()}
    for name in VERSION_FIELDS:
        if name in raw:
            record[name] = _value(name, raw[name], place, _label(ItemVersion, name), problems)
    record["materials"] = [{n: _value(n, m.get(n), place, f"申请材料{i} {_label(MaterialSpec, n)}", problems)
                            for n in MATERIAL_FIELDS if n in m}
                           for i, m in enumerate(raw.get("materials") or [], start=1)]
    record["fees"] = [{n: _value(n, f.get(n), place, f"收费标准{i} {_label(FeeStandard, n)}", problems)
                       for n in FEE_FIELDS if n in f} for i, f in enumerate(raw.get("fees") or [], start=1)]
    record["steps"] = [{n: (s.get(n) or None) if n == "department" else
                        _value(n, s.get(n), place, f"环节{i} {n}", problems) for n in STEP_FIELDS if n in s}
                       for i, s in enumerate(raw.get("steps") or [], start=1)]
    procedures = raw.get("procedures") or {}
    record["procedures"] = {str(k): _value("limit", v, place, f"特别程序“{k}”时限", problems)
                            for k, v in procedures.items()} if isinstance(procedures, dict) else {}
    return record


def _rows(book, title: str, header: list[str], problems: list[str]):
    """(row number, {heading: value}) of a sheet's data rows; the sheet's headings must match."""
    if title not in book.sheetnames:
        if title == "事项":
            problems.append("Excel缺少“事项”工作表。")
        return
    sheet = book[title]
    found = [str(c.value or "").strip() for c in sheet[spreadsheets.HEAD_ROW]][:len(header)]
    if found != header:
        missing = [h for h in header if h not in found]
        problems.append(f"“{title}”工作表第{spreadsheets.HEAD_ROW}行的表头不对，"
                        f"缺少：{'、'.join(missing) or '（顺序不同）'}。")
        return
    for number, row in enumerate(sheet.iter_rows(min_row=spreadsheets.HEAD_ROW + 1, values_only=True),
                                 start=spreadsheets.HEAD_ROW + 1):
        values = list(row[:len(header)])
        if all(v in (None, "") for v in values):
            continue
        yield number, dict(zip(header, values, strict=False))


def _parse_xlsx(content: bytes) -> Parsed:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise TransferError([f"无法读取Excel工作簿：{error}"]) from None
    problems: list[str] = []
    raw: dict[str, dict] = {}
    places: dict[str, str] = {}
    for number, row in _rows(book, "事项", ITEM_HEADER, problems):
        code = str(row["事项编码"] or "").strip()
        if not code:
            problems.append(f"“事项”第{number}行 事项编码：不能为空。")
            continue
        if code in raw:
            problems.append(f"“事项”第{number}行 事项编码：“{code}”重复（已见于{places[code]}）。")
            continue
        places[code] = f"“事项”第{number}行"
        raw[code] = {"code": code, "department": row["实施部门编码"], "materials": [], "fees": [], "steps": [],
                     "procedures": {}}
        for name, heading in zip(VERSION_FIELDS, ITEM_HEADER[2:], strict=True):
            raw[code][name] = row[heading]
    children = [("申请材料", MATERIAL_HEADER, "materials", MATERIAL_FIELDS),
                ("收费标准", FEE_HEADER, "fees", FEE_FIELDS), ("办理流程", STEP_HEADER, "steps", STEP_FIELDS)]
    for title, header, key, names in children:
        for number, row in _rows(book, title, header, problems):
            owner = raw.get(str(row["事项编码"] or "").strip())
            if owner is None:
                problems.append(f"“{title}”第{number}行 事项编码：“{row['事项编码']}”不在“事项”工作表中。")
                continue
            entry = {name: row[heading] for name, heading in zip(names, header[1:], strict=True)}
            if key == "fees":
                entry["tiers"] = _tiers(entry.get("tiers"), f"“{title}”第{number}行", problems)
            entry["_place"] = f"“{title}”第{number}行"
            owner[key].append(entry)
    for number, row in _rows(book, "特别程序", PROCEDURE_HEADER, problems):
        owner = raw.get(str(row["事项编码"] or "").strip())
        if owner is None:
            problems.append(f"“特别程序”第{number}行 事项编码：“{row['事项编码']}”不在“事项”工作表中。")
            continue
        owner["procedures"][str(row["特别程序代码"] or "").strip()] = row["时限(工作日)"]
    records = []
    for code, entry in raw.items():
        record = _normalised(entry, places[code], problems)
        for key in ("materials", "fees", "steps"):
            for kept, given in zip(record[key], entry[key], strict=True):
                kept["_place"] = given["_place"]
        records.append(record)
    return Parsed(records, places, problems)


def _tiers(value, place: str, problems: list[str]) -> list:
    if value in (None, ""):
        return []
    try:
        tiers = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        problems.append(f"{place} 分档标准：应为JSON数组，如 [{{\"up_to\": \"1000\", \"price\": \"1.50\"}}]。")
        return []
    return tiers


def _duplicates(parsed: Parsed) -> list[str]:
    seen, problems = set(), []
    for record in parsed.items:
        if record["code"] in seen:
            problems.append(f"{parsed.places.get(record['code'], record['code'])} 事项编码：“{record['code']}”重复。")
        seen.add(record["code"])
    return problems


def _field_messages(error: ValidationError, model, place: str) -> list[str]:
    found = []
    for name, messages in error.message_dict.items():
        label = _label(model, name) if name != "__all__" else ""
        found.extend(f"{place} {label}：{m}" if label else f"{place} {m}" for m in messages)
    return found


def _check(record: dict, places: dict[str, str]) -> list[str]:
    """Every problem of one item as the catalogue would find it at publication, located in the file."""
    place = places.get(record["code"], record["code"])
    problems = []
    department = Department.objects.filter(code=record["department"]).first()
    if department is None:
        problems.append(f"{place} 实施部门编码：部门“{record['department']}”不存在。")
    version = ItemVersion(**{n: v for n, v in record.items() if n in VERSION_FIELDS and v is not None})
    # Both passes, so a row with a bad field still has its legal bounds checked.
    for check in (lambda: version.clean_fields(exclude=["item"]), version.clean):
        try:
            check()
        except ValidationError as error:
            problems += _field_messages(error, ItemVersion, place)
        except TypeError:
            break  # a field unreadable for clean(); clean_fields() has reported it
    for material in record["materials"]:
        spec = MaterialSpec(**{n: v for n, v in material.items() if n != "_place" and v is not None})
        try:
            spec.clean_fields(exclude=["version", "template"])
        except ValidationError as error:
            problems += _field_messages(error, MaterialSpec, material.get("_place", f"{place} 申请材料"))
    for fee in record["fees"]:
        where = fee.get("_place", f"{place} 收费标准“{fee.get('name', '')}”")
        standard = FeeStandard(**{n: v for n, v in fee.items() if n != "_place"})
        try:
            standard.clean_fields(exclude=["version"])
        except ValidationError as error:
            problems += _field_messages(error, FeeStandard, where)
        problems += [f"{where} {_label(FeeStandard, n)}：{m}" for n, m in fee_standard_problems(standard).items()]
    roles = set(Role.objects.values_list("code", flat=True)) if record["steps"] else set()
    for step in record["steps"]:
        where = step.get("_place", f"{place} 环节“{step.get('name', '')}”")
        if step.get("role") not in roles:
            problems.append(f"{where} 办理角色：角色“{step.get('role')}”不存在。")
        if step.get("department") and not Department.objects.filter(code=step["department"]).exists():
            problems.append(f"{where} 办理部门编码：部门“{step['department']}”不存在。")
        if step.get("limit_unit") and step["limit_unit"] not in FlowStep.LimitUnit.values:
            problems.append(f"{where} 时限单位：应为{'、'.join(FlowStep.LimitUnit.values)}之一。")
    known = set(ProcedureKind.objects.filter(code__in=list(record["procedures"])).values_list("code", flat=True))
    for code, days in record["procedures"].items():
        if code not in known:
            problems.append(f"{place} 特别程序：未知的特别程序代码“{code}”。")
        elif not days:
            problems.append(f"{place} 特别程序“{code}”的时限：须为大于0的工作日数。")
    return problems


# ---------------------------------------------------------------------------------------------
# Diff and apply
# ---------------------------------------------------------------------------------------------

@dataclass
class Change:
    label: str
    old: object
    new: object


@dataclass
class Entry:
    code: str
    name: str
    status: str  # "new" or "changed"
    record: dict
    changes: list[Change] = field(default_factory=list)


@dataclass
class Plan:
    entries: list[Entry]
    absent: list[tuple[str, str]]  # (code, name) in force here, not in the file
    unchanged: int
    problems: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.entries and not self.problems

    def lines(self) -> list[str]:
        out = []
        for entry in self.entries:
            if entry.status == "new":
                out.append(f"新增 {entry.code} {entry.name}")
                continue
            out.append(f"变更 {entry.code} {entry.name}")
            out.extend(f"    {c.label}：{_shown(c.old)} → {_shown(c.new)}" for c in entry.changes)
        out.extend(f"文件中没有（不作改动） {code} {name}" for code, name in self.absent)
        out.extend(f"不能导入：{p}" for p in self.problems)
        out.append(f"合计：新增{sum(e.status == 'new' for e in self.entries)}项，"
                   f"变更{sum(e.status == 'changed' for e in self.entries)}项，未变{self.unchanged}项，"
                   f"文件中没有{len(self.absent)}项。")
        return out


def _shown(value) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "（空）" if value in (None, "") else str(value)


def _comparable(record: dict) -> dict:
    """A record without its places in the file, children in a canonical form, for equality."""
    clean = {k: v for k, v in record.items() if not k.startswith("_")}
    for key in ("materials", "fees", "steps"):
        clean[key] = [{k: v for k, v in row.items() if not k.startswith("_")} for row in record.get(key, [])]
    return clean


def _completed(record: dict) -> dict:
    """Fields left out of a file take the model's defaults, as publishing them would."""
    version = ItemVersion(**{n: v for n, v in record.items() if n in VERSION_FIELDS and v is not None})
    full = dict(record)
    full.update({n: getattr(version, n) for n in VERSION_FIELDS})
    full["materials"] = [{n: getattr(MaterialSpec(**{k: v for k, v in m.items() if k in MATERIAL_FIELDS
                                                    and v is not None}), n) for n in MATERIAL_FIELDS}
                         for m in record["materials"]]
    full["steps"] = [{"seq": s.get("seq") or 1, "name": s.get("name", ""), "role": s.get("role"),
                      "department": s.get("department") or None, "limit": s.get("limit"),
                      "limit_unit": s.get("limit_unit") or FlowStep.LimitUnit.DAYS} for s in record["steps"]]
    full["fees"] = [{"name": f.get("name", ""), "standard": f.get("standard", ""),
                     "kind": f.get("kind") or FeeStandard.Kind.FIXED, "amount": f.get("amount"),
                     "unit": f.get("unit") or "", "unit_price": f.get("unit_price"),
                     "tiers": [{"up_to": None if t.get("up_to") is None else str(t["up_to"]),
                                "price": str(t["price"])} for t in f.get("tiers") or []],
                     "basis": f.get("basis", "")} for f in record["fees"]]
    return full


def diff(parsed: Parsed) -> Plan:
    current = {r["code"]: r for r in current_records()}
    entries, unchanged, problems = [], 0, []
    for record in parsed.items:
        wanted = _comparable(_completed(record))
        before = current.get(record["code"])
        if before is None:
            if Item.objects.filter(code=record["code"]).exists():
                # An item without a version in force (retired or still a draft) gets its next version.
                entries.append(Entry(record["code"], wanted["name"], "changed", record,
                                     [Change("状态", "未发布或已停用", "发布")]))
            else:
                entries.append(Entry(record["code"], wanted["name"], "new", record))
            continue
        if before["department"] != wanted["department"]:
            problems.append(f"{record['code']} 实施部门编码：本平台为“{before['department']}”，文件为"
                            f"“{wanted['department']}”；同一事项不改实施部门，请在事项管理中处理。")
            continue
        changes = [Change(_label(ItemVersion, n), before[n], wanted[n]) for n in VERSION_FIELDS
                   if before[n] != wanted[n]]
        changes += [Change(label, before[key], wanted[key]) for key, label in CHILDREN.items()
                    if before[key] != wanted[key]]
        if changes:
            entries.append(Entry(record["code"], wanted["name"], "changed", record, changes))
        else:
            unchanged += 1
    codes = {r["code"] for r in parsed.items}
    absent = [(code, r["name"]) for code, r in current.items() if code not in codes]
    return Plan(entries, absent, unchanged, problems)


@transaction.atomic
def apply(plan: Plan, actor: User | None = None) -> list[ItemVersion]:
    """Publish a new version of every new or changed item; all or nothing (CatalogError rolls back)."""
    if plan.problems:
        raise services.CatalogError("导入计划有不能处理的问题：" + "；".join(plan.problems), plan.problems)
    published = []
    for entry in plan.entries:
        record = _completed(entry.record)
        item = Item.objects.filter(code=entry.code).first()
        if item is None:
            item = Item(code=entry.code, department=Department.objects.get(code=record["department"]))
            item.full_clean()
            item.save()
        templates = _templates_of(item)
        draft = services.add_draft(ItemVersion(item=item, **{n: record[n] for n in VERSION_FIELDS}), actor)
        _add_children(draft, record, templates)
        try:
            published.append(services.publish(draft, actor))
        except services.NotPublishable as error:
            raise services.CatalogError(f"事项{entry.code}：{error}", error.problems) from None
    return published


def _templates_of(item: Item) -> dict[str, object]:
    """The form templates of the version in force by material name: a file carries no templates."""
    current = item.current_version()
    if current is None:
        return {}
    return {m.name: m.template for m in current.materials.all() if m.template}


def _add_children(draft: ItemVersion, record: dict, templates: dict) -> None:
    for seq, m in enumerate(record["materials"], start=1):
        template = templates.get(m["name"])
        MaterialSpec.objects.create(version=draft, seq=seq, template=services._copied_template(template),
                                    **{n: m[n] for n in MATERIAL_FIELDS})
    for f in record["fees"]:
        FeeStandard.objects.create(version=draft, **f)
    departments = {d.code: d for d in Department.objects.filter(code__in=[s["department"] for s in record["steps"]])}
    for s in record["steps"]:
        FlowStep.objects.create(version=draft, seq=s["seq"], name=s["name"], role_id=s["role"],
                                department=departments.get(s["department"]), limit=s["limit"],
                                limit_unit=s["limit_unit"])
    kinds = {k.code: k for k in ProcedureKind.objects.filter(code__in=list(record["procedures"]))}
    for code, days in record["procedures"].items():
        ItemProcedure.objects.create(version=draft, kind=kinds[code], limit_days=days)
