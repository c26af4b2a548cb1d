"""Applicant account pages: register, verify the mobile, sign in and out, reset the password, my cases.

Sign-in failures are counted by django-axes like the staff login's (SHENPI_LOGIN_FAILURES within
SHENPI_LOCKOUT_HOURS lock the account); the public site answers a lockout with its own page.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shenpi.accounts import identifiers
from shenpi.cases import lifecycle
from shenpi.cases.documents import notice_pdf
from shenpi.cases.lifecycle import APPLICANT_TRANSITIONS
from shenpi.cases.models import ApplicantKind, CaseEvent, CaseMaterial, CaseStep, ClockStop, Notice, State
from shenpi.crypto import blind_index
from shenpi.errors import ServiceError
from shenpi.security import audit
from shenpi.web import public_base_url

from . import services
from .access import applicant_required
from .forms import CodeForm, LoginForm, RegisterForm, ResetForm, ResetStartForm, put_errors
from .models import Applicant

PENDING = "applicants:pending"
RESETTING = "applicants:resetting"
PAGE_SIZE = 20
# Case events the applicant sees on their case page: the stage changes, never staff opinions.
PUBLIC_EVENT_FIELDS = ("action", "at", "from_state", "to_state", "step__name")


def _kind(request) -> str:
    kind = request.POST.get("kind") or request.GET.get("kind")
    return kind if kind in ApplicantKind.values else ApplicantKind.PERSON


# -- registration --------------------------------------------------------------------------------

def register(request):
    kind = _kind(request)
    form = RegisterForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            applicant = services.register(services.Registration(
                kind=kind, name=data["name"], id_number=data["id_number"], mobile=data["mobile"],
                password=data["password"], contact_name=data.get("contact_name", "")))
        except ServiceError as error:
            put_errors(form, error)
        else:
            request.session[PENDING] = applicant.pk
            messages.success(request, f"验证码已发送至 {applicant.mobile_masked}，"
                                      f"请在{services.CODE_MINUTES}分钟内输入。")
            return redirect("applicants:verify")
    status = 400 if request.method == "POST" else 200
    return render(request, "applicants/register.html", {"form": form, "kind": kind}, status=status)


def _pending(request) -> Applicant | None:
    pk = request.session.get(PENDING)
    return Applicant.objects.select_related("user").filter(pk=pk).first() if pk else None


def verify(request):
    applicant = _pending(request)
    if applicant is None:
        messages.info(request, "请先注册或登录。")
        return redirect("applicants:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            applicant = services.verify_registration(applicant, form.cleaned_data["code"])
        except ServiceError as error:
            put_errors(form, error)
        else:
            request.session.pop(PENDING, None)
            login(request, applicant.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "手机号码验证成功，账号已开通。")
            return redirect("applicants:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "applicants/verify.html", {"form": form, "applicant": applicant,
                                                      "minutes": services.CODE_MINUTES}, status=status)


@require_POST
def resend(request):
    applicant = _pending(request)
    if applicant is None:
        return redirect("applicants:login")
    try:
        services.send_code(applicant, services.Purpose.REGISTER)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"新的验证码已发送至 {applicant.mobile_masked}。")
    return redirect("applicants:verify")


# -- signing in and out ----------------------------------------------------------------------------

def _login_username(identifier: str, applicant: Applicant | None) -> str:
    """What the lockout counts against: the account, or for an unknown identifier, that identifier."""
    if applicant is not None:
        return applicant.user.username
    return "applicant-unknown-" + blind_index(identifiers.normalise(identifier))[:32]


def _locked(request, form):
    minutes = round(float(settings.AXES_COOLOFF_TIME or 0) * 60)
    wait = f"请{minutes}分钟后再试，" if minutes else ""
    message = (f"该账号连续{settings.AXES_FAILURE_LIMIT}次登录失败，已被暂时锁定。{wait}"
               "或通过“忘记密码”以手机验证码重设密码后立即登录。")
    return render(request, "applicants/login.html", {"form": form, "locked_message": message},
                  status=settings.AXES_HTTP_RESPONSE_CODE)


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return None


def login_view(request):
    form = LoginForm(request.POST or None)
    context = {"form": form, "next": _next_url(request) or "", "failure_limit": settings.AXES_FAILURE_LIMIT}
    if request.method != "POST" or not form.is_valid():
        return render(request, "applicants/login.html", context, status=400 if request.method == "POST" else 200)
    identifier, password = form.cleaned_data["identifier"], form.cleaned_data["password"]
    applicant = services.find_applicant(identifier)
    username = _login_username(identifier, applicant)
    if AxesProxyHandler.is_locked(request, {"username": username}):
        # Refused before authenticate(), so django-axes does not signal it: recorded like the staff login's.
        audit.record("login.locked_out", request=request, user=None, target=f"account:{username}", outcome="denied",
                     via="applicant")
        return _locked(request, form)
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        # This failure locked the account: answer with the public site's page, not the staff login's.
        request.axes_locked_out = False
        return _locked(request, form)
    if user is None or applicant is None:
        form.add_error(None, "证件号码或密码不正确。")
        return render(request, "applicants/login.html", context, status=400)
    if not applicant.verified:
        request.session[PENDING] = applicant.pk
        try:
            services.send_code(applicant, services.Purpose.REGISTER)
        except ServiceError as error:
            messages.info(request, error.message)
        messages.info(request, f"账号的手机号码尚未验证：请输入发送至 {applicant.mobile_masked} 的验证码。")
        return redirect("applicants:verify")
    login(request, user)
    return redirect(_next_url(request) or "applicants:home")


@require_POST
def logout_view(request):
    logout(request)
    messages.success(request, "您已安全退出。")
    return redirect("applicants:login")


# -- resetting the password ----------------------------------------------------------------------

def reset_start(request):
    form = ResetStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            applicant = services.start_password_reset(form.cleaned_data["identifier"], form.cleaned_data["mobile"])
        except ServiceError as error:
            put_errors(form, error)
        else:
            # The same answer whether or not the two belong together: nobody learns who is registered.
            request.session[RESETTING] = applicant.pk if applicant else 0
            messages.info(request, "如证件号码与手机号码相符，验证码已发送至该手机，"
                                   f"请在{services.CODE_MINUTES}分钟内完成重设。")
            return redirect("applicants:reset_confirm")
    status = 400 if request.method == "POST" else 200
    return render(request, "applicants/reset_start.html", {"form": form}, status=status)


def reset_confirm(request):
    if RESETTING not in request.session:
        return redirect("applicants:reset")
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        applicant = Applicant.objects.select_related("user").filter(pk=request.session[RESETTING]).first()
        try:
            services.reset_password(applicant, form.cleaned_data["code"], form.cleaned_data["password"])
        except ServiceError as error:
            put_errors(form, error)
        else:
            request.session.pop(RESETTING, None)
            messages.success(request, "密码已重设，请用新密码登录。")
            return redirect("applicants:login")
    status = 400 if request.method == "POST" else 200
    return render(request, "applicants/reset_confirm.html", {"form": form}, status=status)


# -- my cases ------------------------------------------------------------------------------------

@applicant_required
def home(request):
    """我的办件: my online applications, and the cases (online or at a window) filed under my identifier."""
    applicant = request.applicant
    # 容缺 materials the applicant may upload now (in the states the applicant's action allows).
    outstanding = CaseMaterial.objects.filter(case=OuterRef("pk"), deferred=True, received=False,
                                              case__state__in=APPLICANT_TRANSITIONS["supply_deferred"].sources)
    cases = services.my_cases(applicant).annotate(deferred_outstanding=Exists(outstanding)).prefetch_related(
        Prefetch("steps", queryset=CaseStep.objects.filter(status=CaseStep.Status.ACTIVE), to_attr="active_steps"),
        Prefetch("clock_stops", queryset=ClockStop.objects.filter(ended_at__isnull=True, kind__isnull=True),
                 to_attr="open_supplements"))
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "applicants/home.html", {
        "applicant": applicant, "applications": _online_applications(applicant), "page": page,
    })


def _online_applications(applicant: Applicant) -> list:
    # Through the reverse relation: shenpi.online sits above this app and imports it, not the other way.
    return list(applicant.applications.select_related("version", "item", "department", "case")
                .order_by("-updated_at", "-pk"))


def _my_case(request, number: str):
    """Only a case filed under my identifier exists for me."""
    return get_object_or_404(services.my_cases(request.applicant), number=number)


@applicant_required
def case_detail(request, number):
    case = _my_case(request, number)
    materials = list(case.materials.all())
    return render(request, "applicants/case.html", {
        "case": case,
        "applicant": request.applicant,
        "steps": list(case.steps.filter(status=CaseStep.Status.ACTIVE)),
        "materials": materials,
        "deferred": lifecycle.deferred_to_upload(case, materials),
        "notices": list(case.notices.all()),
        "events": _public_events(case),
        "online": getattr(case, "online_application", None),
        "stop": _open_stop(case),
    })


def _public_events(case) -> list[dict]:
    """The case's history as the public sees it: without hand-overs between staff (转办)."""
    events = CaseEvent.objects.filter(case=case).order_by("at", "pk").values(*PUBLIC_EVENT_FIELDS)
    return [event for event in events if lifecycle.shown_to_public(event["action"])]


def _open_stop(case):
    """The clock stop under way (补件 or 特别程序): what the applicant must bring, or wait for."""
    if case.state != State.SUSPENDED:
        return None
    return case.clock_stops.filter(ended_at__isnull=True).order_by("-pk").first()


@applicant_required
def case_notice_pdf(request, number, notice_id):
    case = _my_case(request, number)
    notice = get_object_or_404(Notice, pk=notice_id, case=case)
    filename, pdf = notice_pdf(notice, public_base_url(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response

