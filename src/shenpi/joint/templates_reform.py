"""The national reform's four stages (工程建设项目审批制度改革, 国办发〔2019〕11号) and the default split
of a project type's promised total over them.

The reform fixes the four stages and asks each place to promise a total per project type; it does
not fix how the total divides. The platform's default gives the stages 40 %, 30 %, 20 % and 10 %
(a 90-working-day type: 36, 27, 18 and 9), rounded so that the stages always add up to the type's
total exactly; the administrator edits any stage afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from shenpi.catalog.models import Department

from .models import ProjectType, StageTemplate


@dataclass(frozen=True)
class ReformStage:
    name: str
    share: int  # percent of the project type's total
    description: str


REFORM_STAGES: tuple[ReformStage, ...] = (
    ReformStage("立项用地规划许可", 40, "项目审批或核准、选址意见书、用地预审、用地规划许可等。"),
    ReformStage("工程建设许可", 30, "设计方案审查、建设工程规划许可证核发等。"),
    ReformStage("施工许可", 20, "施工图审查(消防、人防等专项审查)、施工许可证核发等。"),
    ReformStage("竣工验收", 10, "规划、消防、人防等专项验收实行限时联合验收，统一竣工验收图纸和验收标准。"),
)


def split_total(total: int, shares: tuple[int, ...] | list[int]) -> list[int]:
    """Split `total` working days by `shares` (any positive weights): largest remainder, ties to the
    earlier stage; the parts always sum to `total` exactly. While the total allows, every stage gets
    at least one day (taken from the largest)."""
    if total < 0:
        raise ValueError("total must not be negative")
    if not shares or any(share < 0 for share in shares) or sum(shares) <= 0:
        raise ValueError("shares must be non-negative and not all zero")
    weight = sum(shares)
    parts = [total * share // weight for share in shares]
    # The days the floors left over go to the largest remainders; equal remainders: the earlier stage.
    order = sorted(range(len(shares)), key=lambda i: (-(total * shares[i] % weight), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    if total >= len(shares):
        for i, days in enumerate(parts):
            if days == 0:
                largest = max(range(len(parts)), key=lambda j: (parts[j], -j))
                parts[largest] -= 1
                parts[i] = 1
    return parts


def reform_totals(total: int) -> list[int]:
    """The four stages' promised totals for a type promising `total` working days."""
    return split_total(total, [stage.share for stage in REFORM_STAGES])


def stage_code(project_type: ProjectType, seq: int) -> str:
    return f"{project_type.code}-{seq}"[:40]


@transaction.atomic
def create_reform_stages(project_type: ProjectType, lead_department: Department) -> list[StageTemplate]:
    """按改革方案生成四个阶段: the four stages of `project_type` that it does not have yet (by order),
    each with its default share of the type's total; the stages it has are left as they are."""
    existing = set(project_type.stages.filter(kind=StageTemplate.Kind.STAGE).values_list("seq", flat=True))
    created = []
    for seq, (stage, total) in enumerate(zip(REFORM_STAGES, reform_totals(project_type.promised_total),
                                             strict=True), start=1):
        if seq in existing:
            continue
        created.append(StageTemplate.objects.create(
            code=stage_code(project_type, seq), name=f"{stage.name}阶段", kind=StageTemplate.Kind.STAGE,
            project_type=project_type, seq=seq, lead_department=lead_department, promised_total=total,
            audience="organisation", description=stage.description))
    return created
