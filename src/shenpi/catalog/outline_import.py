"""`shenpi catalogue outlines import FILE`: the districts' and towns' outlines from a GeoJSON
FeatureCollection (catalog.outlines reads and checks it), set on the departments named by code."""

from __future__ import annotations

from django.db import transaction

from . import outlines
from .models import Department


def import_collection(content: bytes) -> list[str]:
    """Set the outlines of the departments named in the file, all or none; the names of those set."""
    found = outlines.read_collection(content)
    departments = {d.code: d for d in Department.objects.filter(code__in=list(found))}
    missing = [code for code in found if code not in departments]
    if missing:
        more = "等" if len(missing) > 5 else ""
        raise outlines.OutlineError(f"部门编码{'、'.join(missing[:5])}{more}不存在，未作任何改动。")
    wrong = [d for d in departments.values() if d.level not in outlines.NETWORK_LEVELS]
    if wrong:
        raise outlines.OutlineError(f"{wrong[0].name}（{wrong[0].code}）不是县(区)级或乡镇(街道)级部门，"
                                    "只有县区和乡镇可以设置辖区轮廓。")
    with transaction.atomic():
        for code, geometry in found.items():
            departments[code].outline = geometry
            departments[code].save(update_fields=["outline"])
    return [departments[code].name for code in found]
