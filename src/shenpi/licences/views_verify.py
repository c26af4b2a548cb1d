"""证照核验, public and without sign-in: the page a certificate's QR code opens, and a form that checks
a certificate PDF someone was handed.

The page is read by anyone who scans a certificate, so it is one indexed lookup of public columns
(no decryption), an SM2 check with a cached public key, no session and no write. It shows only what
the certificate itself shows.
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from . import verify
from .models import Licence

MAX_PDF_BYTES = 10 * 1024 * 1024
# The longer of the two forms a visitor may give: a serial, or the GB/T 36904 identifier.
LICENCE_KEY_MAX = max(Licence._meta.get_field(name).max_length for name in ("serial", "identifier"))


def _licence_page(request, licence, outcome, *, status=200):
    return render(request, "licences/verify.html", {"licence": licence, "outcome": outcome}, status=status)


@require_http_methods(["GET", "HEAD"])
def licence(request, key: str):
    found = verify.public_licence(key[:LICENCE_KEY_MAX])
    if found is None:
        return render(request, "licences/verify.html", {"missing": key[:LICENCE_KEY_MAX]}, status=404)
    return _licence_page(request, found, verify.check_licence(found))


@require_http_methods(["GET", "POST"])
def check(request):
    """GET: type a serial or upload a PDF; POST: the upload's verdict."""
    if request.method == "GET":
        key = request.GET.get("key", "").strip()[:LICENCE_KEY_MAX]
        if key:
            found = verify.public_licence(key)
            if found is not None:
                return _licence_page(request, found, verify.check_licence(found))
            return render(request, "licences/check.html", {"key": key, "error": "未找到该证照。"}, status=404)
        return render(request, "licences/check.html", {})
    upload = request.FILES.get("pdf")
    if upload is None:
        return render(request, "licences/check.html", {"error": "请选择证照PDF文件。"}, status=400)
    if upload.size > MAX_PDF_BYTES:
        return render(request, "licences/check.html", {"error": "文件过大（不超过10MB）。"}, status=400)
    outcome = verify.check_pdf(upload.read())
    return render(request, "licences/check.html", {"outcome": outcome, "licence": outcome.licence,
                                                   "filename": upload.name})


urlpatterns = [
    path("", check, name="check"),
    path("<str:key>/", licence, name="licence"),
]
