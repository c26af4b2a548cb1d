"""Staff sign-in with two factors: the password, then the second factor or its enrolment; the settings
page of one's own second factor; the security administrator's reset and UKey registration."""

from __future__ import annotations

import base64
import functools
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shenpi.errors import ServiceError
from shenpi.security import audit

from . import second_factor
from .middleware import NEEDS_SECOND_FACTOR, second_factor_url
from .models import User

FAILURES = "shenpi_second_factor_failures"  # wrong answers in this half-finished sign-in
NEW_TOTP = "shenpi_new_totp"  # the unconfirmed authenticator being enrolled
SHOW_CODES = "shenpi_recovery_codes"  # the recovery codes, until their page has shown them once
METHOD_LABELS = {"recovery": "备用恢复码"}


class StaffLoginView(auth_views.LoginView):
    """The password; then straight on to the second factor when the account needs one."""

    template_name = "workbench/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        user = self.request.user
        needed = second_factor.is_needed(user)
        self.request.session[NEEDS_SECOND_FACTOR] = needed
        self.request.session.pop(FAILURES, None)
        if needed:
            return HttpResponseRedirect(second_factor_url(user, self.get_success_url()))
        return response


def _next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def staff_signed_in(view):
    """Signed-in staff only; applicants (no role) have no second factor here."""

    @functools.wraps(view)
    @login_required
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not second_factor.is_staff_member(request.user):
            return render(request, "workbench/forbidden.html",
                          {"message": "二次验证仅适用于工作人员账号。"}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


# -- the second step of signing in --------------------------------------------------------------------

@staff_signed_in
def verify(request):
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    devices = second_factor.factor_devices(user)
    if not devices:
        return redirect(second_factor_url(user, _next(request)))
    recovery = second_factor.recovery_device(user)
    error = ""
    if request.method == "POST":
        outcome = _answer(request, devices, recovery)
        if outcome is True:
            return redirect(_next(request))
        if isinstance(outcome, HttpResponseRedirect):
            return outcome
        error = outcome
    chosen = request.POST.get("method") if request.method == "POST" else request.GET.get("method")
    names = {factor.name for factor, _ in devices} | ({"recovery"} if recovery is not None else set())
    chosen = chosen if chosen in names else devices[0][0].name
    # Only the factor on show gets a challenge: each one issued voids the one before.
    methods = [(factor, device, factor.challenge(device) if factor.name == chosen else "")
               for factor, device in devices]
    return render(request, "accounts/verify.html", {
        "methods": methods, "recovery": recovery is not None, "error": error, "next": _next(request),
        "chosen": chosen, "failures_left": _failures_left(request),
    }, status=400 if error else 200)


def _answer(request, devices, recovery):
    """True when the answer passes; else the message to show, or the redirect that ends the sign-in."""
    method, answer = request.POST.get("method", ""), request.POST.get("answer", "")
    if method == "recovery" and recovery is not None:
        device, factor, answer = recovery, None, second_factor.normalise_recovery_code(answer)
    else:
        chosen_device = request.POST.get("device", "")
        found = next(((factor, device) for factor, device in devices if factor.name == method
                      and chosen_device in ("", str(device.pk))), None)
        if found is None:
            return "请选择验证方式。"
        factor, device = found
    if not answer.strip():
        return "请输入验证码。" if method != "certificate" else "请粘贴UKey的签名。"
    allowed, wait = second_factor.verify_is_allowed(device)
    if allowed and second_factor.check_answer(device, answer, factor):
        django_otp.login(request, device)
        request.session.cycle_key()  # a new session id for the fully signed-in session
        request.session.pop(FAILURES, None)
        if method == "recovery":
            left = second_factor.recovery_codes_left(request.user)
            audit.record("otp.recovery_used", request=request, target=f"user:{request.user.pk}", left=left)
            messages.warning(request, f"您使用了一个备用恢复码，还剩{left}个。请尽快在“二次验证设置”中检查验证器。")
        else:
            audit.record("otp.verified", request=request, target=f"user:{request.user.pk}", factor=method)
        return True
    failures = request.session.get(FAILURES, 0) + 1
    request.session[FAILURES] = failures
    audit.record("otp.failed", request=request, target=f"user:{request.user.pk}", outcome="failure",
                 factor=method, failures=failures, throttled=not allowed)
    if failures >= settings.SECOND_FACTOR_FAILURES:
        audit.record("otp.failed", request=request, target=f"user:{request.user.pk}", outcome="denied",
                     factor=method, failures=failures, ended=True)
        logout(request)
        messages.error(request, f"二次验证连续{failures}次未通过，本次登录已结束，请重新输入密码。")
        return redirect("login")
    if not allowed:
        return wait
    wrong = {"recovery": "恢复码不正确或已使用过。", "certificate": "签名无效或挑战已过期，请用UKey签署新的挑战。"}
    return wrong.get(method, "验证码不正确：请输入验证器当前显示的6位数字。")


def _failures_left(request) -> int:
    return settings.SECOND_FACTOR_FAILURES - request.session.get(FAILURES, 0)


# -- enrolment ----------------------------------------------------------------------------------------

@staff_signed_in
def enrol(request):
    """二次验证设置: scan the code into an authenticator app and confirm it with the code it shows."""
    user = request.user
    if not second_factor.may_enrol(user):
        return redirect(second_factor_url(user, _next(request)))
    if "totp" not in settings.SECOND_FACTORS:
        return render(request, "accounts/enrol.html", {"no_totp": True, "next": _next(request)})
    error = None
    if request.method == "POST":
        try:
            enrolment = second_factor.confirm_totp(user, request.session.get(NEW_TOTP), request.POST.get("code", ""),
                                                   request=request)
        except ServiceError as refused:
            error = refused
        else:
            request.session.pop(NEW_TOTP, None)
            django_otp.login(request, enrolment.device)
            request.session.cycle_key()
            request.session[NEEDS_SECOND_FACTOR] = True
            request.session[SHOW_CODES] = enrolment.recovery_codes
            return redirect(f"{reverse('second_factor:recovery_codes')}?{urlencode({'next': _next(request)})}")
    device = second_factor.start_totp(user)
    request.session[NEW_TOTP] = device.pk
    return render(request, "accounts/enrol.html", {
        "qr": _qr_data_uri(device.config_url), "secret": _grouped(base64.b32encode(device.bin_key).decode()),
        "error": error, "next": _next(request), "forced": not user.is_verified(),
        "replacing": bool(user.is_verified() and second_factor.factor_devices(user)),
    }, status=400 if error else 200)


def _qr_data_uri(text: str) -> str:
    """An inline SVG image: the CSP allows data: images and nothing from outside."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@staff_signed_in
def recovery_codes(request):
    """The recovery codes, shown once: after enrolment or regeneration, never again."""
    codes = request.session.pop(SHOW_CODES, None)
    if not codes:
        messages.info(request, "恢复码只显示一次；如已遗失，请重新生成。")
        return redirect("second_factor:settings")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)})


@staff_signed_in
def my_settings(request):
    user = request.user
    return render(request, "accounts/settings.html", {
        "devices": second_factor.factor_devices(user), "required": second_factor.is_required(user),
        "codes_left": second_factor.recovery_codes_left(user), "offers_totp": "totp" in settings.SECOND_FACTORS,
    })


@require_POST
@staff_signed_in
def regenerate(request):
    try:
        codes = second_factor.regenerate_recovery_codes(request.user, request=request)
    except ServiceError as refused:
        messages.error(request, refused.message)
        return redirect("second_factor:settings")
    request.session[SHOW_CODES] = codes
    return redirect("second_factor:recovery_codes")


# -- the security administrator -----------------------------------------------------------------------

def security_admin_only(view):
    @functools.wraps(view)
    @staff_signed_in
    def wrapper(request, *args, **kwargs):
        if not second_factor.may_reset(request.user):
            return render(request, "workbench/forbidden.html",
                          {"message": "只有安全管理员可以管理工作人员的二次验证。"}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _staff_accounts():
    return User.objects.filter(Q(is_superuser=True) | Q(is_staff=True) | Q(roles__isnull=False)).distinct()


@security_admin_only
def staff_list(request):
    people = _staff_accounts().select_related("department").prefetch_related("roles").order_by("username")
    q = request.GET.get("q", "").strip()
    if q:
        people = people.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    page = Paginator(people, 30).get_page(request.GET.get("page"))
    rows = [(person, second_factor.factor_devices(person), second_factor.is_required(person)) for person in page]
    return render(request, "accounts/staff_list.html", {"page": page, "rows": rows, "q": q})


@security_admin_only
def staff_detail(request, user_id):
    person = get_object_or_404(_staff_accounts(), pk=user_id)
    error, op = None, request.POST.get("op")
    if request.method == "POST":
        try:
            if op == "reset":
                removed = second_factor.reset(request.user, person, request.POST.get("reason", ""), request=request)
                messages.success(request, f"已重置{person}的二次验证（删除{removed}个验证方式），"
                                          "其下次登录时须重新设置。")
            elif op == "certificate":
                second_factor.register_certificate(request.user, person, request.POST.get("public_key", ""),
                                                   request.POST.get("name", ""), request=request)
                messages.success(request, f"已为{person}登记UKey证书。")
            return redirect("second_factor:staff_detail", user_id=person.pk)
        except ServiceError as refused:
            error = refused
    return render(request, "accounts/staff_detail.html", {
        "person": person, "devices": second_factor.factor_devices(person), "error": error, "op": op,
        "required": second_factor.is_required(person), "codes_left": second_factor.recovery_codes_left(person),
        "self": person.pk == request.user.pk, "offers_certificate": "certificate" in settings.SECOND_FACTORS,
        "form": request.POST if error else {},
    }, status=error.http_status if error else 200)
