"""The catalogue exchange page of the item admin: export, upload, preview the plan, confirm.

The confirmation posts back the file as read (normalised JSON), not the upload, so what is applied is
what was previewed; it is parsed and compared again at confirmation, and applied in one transaction.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from shenpi import clock, spreadsheets

from . import services, transfer

# The largest catalogue file read (a province's list of a few thousand items is well under this).
MAX_BYTES = 20 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(label="事项目录文件", help_text="本平台导出的 Excel(.xlsx) 或 JSON 文件；按内容识别格式。")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"文件超过{MAX_BYTES // 1024 // 1024}MB。")
        return upload


class TransferAdminMixin:
    """Adds 导入导出 to the item admin (ItemAdmin)."""

    def can_transfer(self, request) -> bool:
        # An import drafts and publishes versions: the rights an administrator uses to do it by hand.
        return (self.has_add_permission(request) and self.has_change_permission(request)
                and request.user.has_perms(["catalog.add_itemversion", "catalog.change_itemversion"]))

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_transfer": self.can_transfer(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        page = self.admin_site.admin_view(self.transfer_view)
        export = self.admin_site.admin_view(self.export_view)
        return [path("transfer/", page, name="catalog_item_transfer"),
                path("transfer/export/<str:kind>/", export, name="catalog_item_export"), *super().get_urls()]

    def export_view(self, request, kind: str):
        if not self.has_view_permission(request) or kind not in ("json", "xlsx"):
            raise PermissionDenied
        content = transfer.export_xlsx() if kind == "xlsx" else transfer.export_json()
        kind_header = spreadsheets.CONTENT_TYPE if kind == "xlsx" else "application/json"
        response = HttpResponse(content, content_type=kind_header)
        response["Content-Disposition"] = f'attachment; filename="catalogue-{clock.today():%Y%m%d}.{kind}"'
        return response

    def transfer_view(self, request):
        if not self.can_transfer(request):
            raise PermissionDenied
        form, plan, document, problems = UploadForm(), None, "", []
        if request.method == "POST":
            if "confirm" in request.POST:
                return self._confirm(request)
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    parsed = transfer.parse(form.cleaned_data["file"].read())
                except transfer.TransferError as error:
                    problems = error.problems
                else:
                    plan = transfer.diff(parsed)
                    document = json.dumps({"items": parsed.items}, ensure_ascii=False)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "事项目录导入导出",
                   "form": form, "plan": plan, "document": document, "problems": problems}
        return TemplateResponse(request, "admin/catalog/item/transfer.html", context)

    def _confirm(self, request):
        try:
            plan = transfer.diff(transfer.parse(request.POST.get("document", "").encode()))
            published = transfer.apply(plan, request.user)
        except (transfer.TransferError, services.CatalogError) as error:
            self.message_user(request, f"导入未完成，未作任何改动：{error}", messages.ERROR)
            return redirect(reverse("admin:catalog_item_transfer"))
        self.message_user(request, f"已导入：发布{len(published)}个事项版本，原版本停用，已受理的办件仍按原版本办理。",
                          messages.SUCCESS)
        return redirect(reverse("admin:catalog_item_changelist"))
