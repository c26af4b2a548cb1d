"""Receiver formats as data: a `Mapping` read from and written to a JSON file.

    {"name": "…", "fields": {"ours": "theirs", …}, "codes": {"field": {"ours": "theirs"}, …},
     "item_codes": {"our item code": "their item code", …}}

The platform ships the province's and the national rating system's default formats
(fixtures/mapping-province.json, fixtures/mapping-rating.json); a centre edits its copy and loads it
again (`shenpi exchange mapping load FILE`). Loading replaces the mapping of that name as a whole.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from shenpi.errors import InvalidInput

from .models import Mapping

FIXTURES = Path(__file__).parent / "fixtures"
PROVINCE = FIXTURES / "mapping-province.json"
RATING = FIXTURES / "mapping-rating.json"


def _text_table(value, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and k and v
                                              for k, v in value.items()):
        raise InvalidInput(f"{where}应为“名称: 名称”的对照表，且不能为空字符串。", {where: ["格式不正确"]})
    return value


def parse(data) -> dict:
    """The mapping's fields, checked: a readable Chinese message for the first mistake."""
    if not isinstance(data, dict):
        raise InvalidInput("报送格式文件应为JSON对象。")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput("报送格式缺少名称(name)，或名称超过100字。", {"name": ["必填"]})
    fields = _text_table(data.get("fields", {}), "fields")
    if not fields:
        raise InvalidInput("字段对照(fields)不能为空：未列出的字段不报送。", {"fields": ["必填"]})
    theirs = list(fields.values())
    repeated = sorted({n for n in theirs if theirs.count(n) > 1})
    if repeated:
        raise InvalidInput(f"字段对照中接收方字段名重复：{'、'.join(repeated)}。", {"fields": ["重复"]})
    codes = data.get("codes", {})
    if not isinstance(codes, dict):
        raise InvalidInput("代码对照(codes)应为 {字段: {本平台代码: 接收方代码}}。", {"codes": ["格式不正确"]})
    checked_codes = {field: _text_table(table, f"codes.{field}") for field, table in codes.items()}
    item_codes = _text_table(data.get("item_codes", {}), "item_codes")
    return {"name": name.strip(), "fields": fields, "codes": checked_codes, "item_codes": item_codes}


def read(path: Path | str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(f"无法读取报送格式文件{path}：{error.strerror or error}。") from None
    try:
        return parse(json.loads(text))
    except json.JSONDecodeError as error:
        raise InvalidInput(f"报送格式文件{path}不是有效的JSON（第{error.lineno}行）。") from None


@transaction.atomic
def load(path: Path | str) -> tuple[Mapping, bool]:
    """Create or replace the mapping named in the file; (mapping, created)."""
    data = read(path)
    return Mapping.objects.update_or_create(name=data["name"], defaults={k: data[k] for k in
                                                                       ("fields", "codes", "item_codes")})


def export(mapping: Mapping) -> str:
    data = {"name": mapping.name, "fields": mapping.fields, "codes": mapping.codes, "item_codes": mapping.item_codes}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
