"""Receivers of case actions (cases/hooks.py) for this app.

收件 (window or online): a material the applicant already holds as a valid e-licence is received by
citing the licence (一证通办) instead of a paper copy or an upload — unless the window scanned a
file for it or an earlier case's result already stands in for it.
"""

from shenpi.cases import hooks
from shenpi.cases.lifecycle import Act
from shenpi.cases.models import CaseMaterial
from shenpi.catalog.services import materials_of

from . import library


@hooks.before("receive", order=60, name="licences.cite_held_licences")
def cite_held_licences(act: Act) -> None:
    materials = act.params.get("materials")
    if materials is None:
        return
    specs = [spec for spec in materials_of(act.case.version)
             if spec.licence_type_code and not materials.get(spec.pk, {}).get("file")
             and not materials.get(spec.pk, {}).get("source_case")]
    for pk, licence in library.citable(specs, act.case.applicant_id_index, act.today).items():
        materials[pk] = {"received": True, "licence": licence}


@hooks.after("receive", order=60, name="licences.record_citations")
def record_citations(act: Act) -> None:
    materials = act.params.get("materials") or {}
    cited = {pk: given["licence"] for pk, given in materials.items() if given.get("licence") is not None}
    if not cited:
        return
    for material in CaseMaterial.objects.filter(case_id=act.case.pk, spec_id__in=list(cited)):
        licence = cited[material.spec_id]
        material.note, material.copies = library.citation_note(licence), 0
        act.update(material, "note", "copies")
        library.cite(material, licence, act.now, write=act.insert)
