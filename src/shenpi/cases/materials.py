"""Opening a case's electronic materials (查阅电子材料): who may, and the record of every opening.

Everyone who may see a case (services.visible_cases: its department, the departments working a
part of it, supervisors, administrators) may open its files — online uploads and the window's
scans alike. Each opening is recorded before the file leaves: who, when, which file, from where.
"""

from __future__ import annotations

from django.db import transaction

from shenpi import clock
from shenpi.accounts.models import User
from shenpi.security import audit

from . import files
from .models import Case, CaseMaterial, MaterialAccess
from .services import visible_cases

ACCESSES_SHOWN = 50


def with_files(case: Case) -> list[CaseMaterial]:
    return [m for m in case.materials.all() if m.file]


def shows_inline(material: CaseMaterial) -> bool:
    """PDF and pictures are previewed in the page; anything else is only downloaded."""
    return material.content_type in files.INLINE_TYPES


def material_of(user: User, number: str, material_id: int) -> CaseMaterial:
    """A material with a file of a case this user may see; DoesNotExist alike for anything else,
    so nobody learns that a case or a file exists outside what they may see."""
    material = (CaseMaterial.objects.select_related("case", "case__version")
                .filter(case__in=visible_cases(user), case__number=number, pk=material_id)
                .exclude(file="").first())
    if material is None:
        raise CaseMaterial.DoesNotExist("该电子材料不存在，或您无权查看。")
    return material


def record_access(user: User, *, reference: str, material_name: str, file_name: str, digest: str,
                  ip: str | None, inline: bool, case: Case | None = None,
                  material: CaseMaterial | None = None, request=None) -> MaterialAccess:
    """The opening, committed on its own: a file is never sent without its record.

    The security audit log has it too (`material.viewed`), with the browser it was opened in.
    """
    with transaction.atomic():
        access = MaterialAccess.objects.create(
            case=case, material=material, reference=reference, material_name=material_name[:200],
            file_name=file_name[:200], digest=digest, viewer=user, viewer_name=str(user)[:200], at=clock.now(),
            ip=ip or None, inline=inline)
    audit.record("material.viewed", request=request, user=user,
                 target=f"case:{case.number}" if case is not None else f"online_application:{reference}",
                 reference=reference, material=material_name[:200], file=file_name[:200], digest=digest,
                 inline=inline)
    return access


def open_material(user: User, number: str, material_id: int, *, ip: str | None, download: bool = False,
                  request=None) -> tuple[CaseMaterial, bool]:
    """The material to send and whether it is shown in the page, its opening recorded."""
    material = material_of(user, number, material_id)
    inline = shows_inline(material) and not download
    record_access(user, reference=material.case.number, material_name=material.name,
                  file_name=material.shown_name, digest=material.content_hash, ip=ip, inline=inline,
                  case=material.case, material=material, request=request)
    return material, inline


def accesses(material: CaseMaterial, limit: int = ACCESSES_SHOWN) -> list[MaterialAccess]:
    return list(material.accesses.all()[:limit])
