"""A department's outline (辖区轮廓): the area a district or town serves, as a GeoJSON geometry.

Stored on `Department.outline` (a Polygon or MultiPolygon in longitude/latitude degrees) and drawn
by the statistics home page's map. `check` is the one validation of an outline (the model field's
validator, the admin and the import run it); `read_collection` reads a GeoJSON FeatureCollection
whose features carry the department's code in their `code` property, which
`catalog.outline_import` applies (`shenpi catalogue outlines import FILE`).
"""

from __future__ import annotations

import json
import math

from django.core.exceptions import ValidationError

KINDS = ("Polygon", "MultiPolygon")
MAX_POINTS = 20_000  # per outline: a district's outline simplified for a page map needs far fewer
NETWORK_LEVELS = ("district", "town")


class OutlineError(ValueError):
    """A file of outlines that cannot be imported; the message is one Chinese line."""


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _ring(ring, where: str) -> int:
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValidationError(f"{where}至少要有4个坐标点（首尾相同）。")
    for n, point in enumerate(ring, start=1):
        if not isinstance(point, list) or len(point) not in (2, 3) or not all(_number(v) for v in point):
            raise ValidationError(f"{where}第{n}个坐标点应为[经度, 纬度]两个数。")
        lon, lat = point[0], point[1]
        if not -180 <= lon <= 180 or not -90 <= lat <= 90:
            raise ValidationError(f"{where}第{n}个坐标点[{lon}, {lat}]超出经纬度范围"
                                  "（经度-180至180，纬度-90至90）。")
    if ring[0][:2] != ring[-1][:2]:
        raise ValidationError(f"{where}未闭合：首尾坐标点应相同。")
    return len(ring)


def _polygon(rings, where: str) -> int:
    if not isinstance(rings, list) or not rings:
        raise ValidationError(f"{where}应为由环组成的列表（至少一个外环）。")
    return sum(_ring(ring, f"{where}第{n}个环" if len(rings) > 1 else where) for n, ring in enumerate(rings, 1))


def check(value) -> None:
    """Raise ValidationError (a Chinese message) unless `value` is a usable Polygon or MultiPolygon."""
    if value is None:
        return
    if not isinstance(value, dict) or value.get("type") not in KINDS:
        raise ValidationError("辖区轮廓应为 GeoJSON 的 Polygon 或 MultiPolygon 几何对象"
                              "（含 type 和 coordinates）。")
    coordinates = value.get("coordinates")
    if value["type"] == "Polygon":
        points = _polygon(coordinates, "轮廓")
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise ValidationError("MultiPolygon 的 coordinates 应为多边形列表（至少一个）。")
        points = sum(_polygon(p, f"第{n}个多边形") for n, p in enumerate(coordinates, start=1))
    if points > MAX_POINTS:
        raise ValidationError(f"轮廓有{points}个坐标点，超过{MAX_POINTS}个，请先简化后再导入。")


def geometry_of(value) -> dict:
    """The geometry itself when given a Feature (what map tools usually save), else `value`."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        return value.get("geometry")
    return value


def read_collection(content: bytes) -> dict[str, dict]:
    """{department code: geometry} from a GeoJSON FeatureCollection; OutlineError on the first fault."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OutlineError(f"文件不是有效的 GeoJSON（UTF-8 编码的 JSON）：{error}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise OutlineError("文件应为 GeoJSON 的 FeatureCollection（含 features 列表）。")
    if not data["features"]:
        raise OutlineError("文件中没有任何要素（features 为空）。")
    found: dict[str, dict] = {}
    for n, feature in enumerate(data["features"], start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        code = str((properties or {}).get("code") or "").strip()
        if not code:
            raise OutlineError(f"第{n}个要素没有 code 属性（部门编码）。")
        if code in found:
            raise OutlineError(f"第{n}个要素的部门编码{code}重复。")
        try:
            check(feature.get("geometry"))
        except ValidationError as error:
            raise OutlineError(f"第{n}个要素（{code}）：{error.messages[0]}") from None
        if feature.get("geometry") is None:
            raise OutlineError(f"第{n}个要素（{code}）没有几何对象（geometry）。")
        found[code] = feature["geometry"]
    return found
