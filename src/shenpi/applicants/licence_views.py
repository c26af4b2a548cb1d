"""我的证照: the signed-in applicant's e-licences, found by their verified identity.

Only a real-name verified holder of the identifier sees the licences issued to it (the same rule as
the cases filed under it, services.sees_identifier_cases): an ID number typed at registration is
only claimed, and must not open anyone's licences.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from shenpi import clock
from shenpi.licences import library
from shenpi.licences.models import Licence

from . import services
from .access import applicant_required


def _mine(applicant):
    if not services.sees_identifier_cases(applicant):
        return Licence.objects.none()
    return library.holder_licences(applicant.id_index)


@applicant_required
def my_licences(request):
    applicant = request.applicant
    return render(request, "applicants/licences.html", {
        "applicant": applicant, "licences": list(_mine(applicant)),
        "real_name": services.sees_identifier_cases(applicant), "today": clock.today(),
    })


@applicant_required
def licence_detail(request, identifier):
    licence = get_object_or_404(_mine(request.applicant), identifier=identifier.upper())
    ok, words = library.verify_for_citation(licence)
    data = licence.data if isinstance(licence.data, dict) else {}
    rows = data.get("fields") if isinstance(data.get("fields"), list) else [
        {"label": key, "value": value} for key, value in data.items()]
    return render(request, "applicants/licence.html", {
        "applicant": request.applicant, "licence": licence, "citable": ok, "verification": words,
        "rows": rows, "today": clock.today(),
    })


@applicant_required
def licence_pdf(request, identifier):
    licence = get_object_or_404(_mine(request.applicant), identifier=identifier.upper())
    if not licence.pdf:
        raise Http404
    try:
        handle = default_storage.open(licence.pdf.name, "rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"{licence.title}-{licence.serial}.pdf")
    return response
