"""The e-licence library for staff (电子证照库, /workbench/licences/library/): search and a licence's page.

What a member of staff finds is library.staff_scope (their department's licences; platform-wide roles
and the comprehensive window all). Holder ID numbers are shown masked only; looking a holder up by
their ID number and opening a licence's page are recorded as personal-data views, like the case page.
"""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import path

from shenpi import clock
from shenpi.accounts.access import staff_required
from shenpi.catalog.models import Department
from shenpi.security import audit

from . import library
from .identifiers import check_identifier
from .models import Licence

PAGE_SIZE = 30


class LibrarySearchForm(forms.Form):
    holder_id = forms.CharField(label="持证主体证件号码", required=False, max_length=40)
    holder_name = forms.CharField(label="持证主体名称", required=False, max_length=100)
    identifier = forms.CharField(label="电子证照标识", required=False, max_length=100)
    type_code = forms.CharField(label="证照类型代码", required=False, max_length=40)
    department = forms.ModelChoiceField(label="发证部门", queryset=Department.objects.all(), required=False,
                                        empty_label="全部")
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *Licence.Status.choices])
    in_force = forms.BooleanField(label="仅当前有效", required=False)

    def clean_identifier(self):
        text = self.cleaned_data["identifier"].strip()
        if text:
            problem = check_identifier(text)
            if problem:
                raise forms.ValidationError(problem)
        return text.upper()


@staff_required
def search(request):
    scope = library.staff_scope(request.user)
    form = LibrarySearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        found = library.search(
            scope, holder_id=data["holder_id"], holder_name=data["holder_name"], identifier=data["identifier"],
            type_code=data["type_code"], department=data["department"], status=data["status"],
            valid_on_day=clock.today() if data["in_force"] else None)
        page = Paginator(found.select_related("department").order_by("-issued_at", "-pk"),
                         PAGE_SIZE).get_page(request.GET.get("page"))
        if data["holder_id"] or data["holder_name"]:
            # Finding a person's licences by who they are is a look at their personal data.
            audit.record("personal_data.viewed", request=request, target="licences:holder",
                         where="licence_library", fields=["holder_id"] if data["holder_id"] else ["holder_name"])
    return render(request, "licences/library.html", {"form": form, "page": page, "today": clock.today()})


@staff_required
def detail(request, identifier):
    licence = get_object_or_404(library.staff_scope(request.user).select_related(
        "department", "case", "signing_key", "replaces"), identifier=identifier.upper())
    ok, words = library.verify_for_citation(licence)
    citations = list(licence.citations.select_related("material__case").order_by("-cited_at")[:50])
    audit.record("personal_data.viewed", request=request, target=f"licence:{licence.identifier}",
                 where="licence_library", fields=["holder_name", "holder_id_masked", "data"])
    replaced_by = Licence.objects.filter(replaces=licence).only("identifier", "title").first()
    return render(request, "licences/library_detail.html", {
        "licence": licence, "citable": ok, "verification": words, "citations": citations,
        "replaced_by": replaced_by, "data_rows": _data_rows(licence), "today": clock.today(),
    })


def _data_rows(licence: Licence) -> list[tuple[str, str]]:
    """The licence's fields as label/value pairs (data is a flat mapping written at issue)."""
    data = licence.data if isinstance(licence.data, dict) else {}
    fields = data.get("fields") if isinstance(data.get("fields"), list) else None
    if fields is not None:
        return [(str(row.get("label", "")), str(row.get("value", ""))) for row in fields if isinstance(row, dict)]
    return [(str(key), str(value)) for key, value in data.items()]


urlpatterns = [
    path("library/", search, name="library"),
    path("library/<str:identifier>/", detail, name="detail"),
]
