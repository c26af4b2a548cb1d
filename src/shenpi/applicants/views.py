"""Applicant account pages: register, verify the mobile, sign in and out, reset the password, my cases.

Sign-in failures are counted by django-axes like the staff login's (SHENPI_LOGIN_FAILURES within
SHENPI_LOCKOUT_HOURS lock the account for the address they came from); the public site answers a
lockout with its own page. Before the password is checked, shenpi.security.throttle may ask for
the picture code or refuse an address that tried too many accounts.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shenpi.accounts import identifiers
from shenpi.cases import lifecycle
from shenpi.cases import services as case_services
from shenpi.cases.documents import notice_pdf
from shenpi.cases.lifecycle import APPLICANT_TRANSITIONS
from shenpi.cases.models import ApplicantKind, CaseEvent, CaseMaterial, CaseStep, ClockStop, Notice, State
from shenpi.crypto import blind_index
from shenpi.errors import ServiceError
from shenpi.fees import online as fees_online
from shenpi.fees.models import Charge
from shenpi.security import audit, throttle
from shenpi.web import client_address, public_base_url

from . import services, stages, unified_sign_in
from .access import applicant_required, current_applicant
from .forms import (
    ClaimForm,
    CodeForm,
    LoginForm,
    RealNameForm,
    RegisterForm,
    ResetForm,
    ResetStartForm,
    WindowVerifyForm,
    put_errors,
)
from .models import Applicant, Assurance

PENDING = "applicants:pending"
RESETTING = "applicants:resetting"
# The registrant whose identifier another account holds, between the mobile code and 实名认证.
RECLAIMING = "applicants:reclaiming"
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
            if not applicant.verified:
                request.session[RECLAIMING] = applicant.pk
                messages.info(request, "手机号码验证成功。该证件号码已绑定其他账号：如您是证件持有人本人，"
                                       "请完成实名认证，通过后证件号码转到您的账号，原账号解除绑定（证件号码找回）。")
                return redirect("applicants:real_name")
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
    message = (f"该账号从您所在的网络连续{settings.AXES_FAILURE_LIMIT}次登录失败，已在此网络暂时锁定。{wait}"
               "或通过“忘记密码”以手机验证码重设密码后立即登录。")
    return render(request, "applicants/login.html", {"form": form, "locked_message": message},
                  status=settings.AXES_HTTP_RESPONSE_CODE)


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return None


def _login_page(request, form, username: str = "", status: int = 200):
    context = {"form": form, "next": _next_url(request) or "", "failure_limit": settings.AXES_FAILURE_LIMIT,
               "captcha_image": throttle.picture(request, username), "unified_sign_in": unified_sign_in.configured()}
    return render(request, "applicants/login.html", context, status=status)


def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _login_page(request, form, status=400 if request.method == "POST" else 200)
    identifier, password = form.cleaned_data["identifier"], form.cleaned_data["password"]
    applicant = services.find_applicant(identifier)
    username = _login_username(identifier, applicant)
    refused = throttle.refusal(request, username, form.cleaned_data.get("captcha"))
    if refused is not None:
        form.add_error(None, refused.message)
        return _login_page(request, form, username, status=refused.status)
    if AxesProxyHandler.is_locked(request, {"username": username}):
        # Refused before authenticate(), so django-axes does not signal it: recorded like the staff login's.
        audit.record("login.locked_out", request=request, user=None, target=f"account:{username}", outcome="denied",
                     via="applicant")
        return _locked(request, form)
    user = authenticate(request, username=username, password=password)
    if user is None or applicant is None:
        throttle.failed(request, username)
    if getattr(request, "axes_locked_out", False):
        # This failure locked the account: answer with the public site's page, not the staff login's.
        request.axes_locked_out = False
        return _locked(request, form)
    if user is None or applicant is None:
        form.add_error(None, "证件号码或密码不正确。")
        return _login_page(request, form, username, status=400)
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


# -- signing in through the unified identity platform (docs/unified-sign-in.md) -------------------------

def unified_start(request):
    """Off to the province's platform, with state, nonce and PKCE challenge kept in the session."""
    if not unified_sign_in.configured():
        raise Http404("未配置统一身份认证平台。")
    try:
        return redirect(unified_sign_in.authorization_url(request, _next_url(request)))
    except unified_sign_in.SignInRefused as refused:
        return _unified_refused(request, refused)


def unified_callback(request):
    """The platform sends the browser back here with a code (or an error) and the state."""
    if not unified_sign_in.configured():
        raise Http404("未配置统一身份认证平台。")
    try:
        entry = unified_sign_in.take_state(request)
        error = request.GET.get("error")
        if error == "access_denied":
            raise unified_sign_in.SignInRefused("您已取消统一身份认证登录。", "access_denied")
        if error or not request.GET.get("code"):
            raise unified_sign_in.SignInRefused("统一身份认证平台未完成认证，未登录。请重新发起统一身份认证登录。",
                                                f"provider_error:{error or 'no_code'}")
        signed_in = unified_sign_in.sign_in(request, entry)
    except unified_sign_in.SignInRefused as refused:
        return _unified_refused(request, refused)
    applicant = signed_in.applicant
    next_url = request.session.pop("oidc_login_next", None)
    login(request, applicant.user, backend="django.contrib.auth.backends.ModelBackend")
    target = f"applicant:{applicant.pk}"
    audit.record("identity.unified_sign_in", request=request, user=applicant.user, target=target, outcome="success",
                 created=signed_in.created, reclaimed=signed_in.reclaimed, kind=applicant.kind)
    if signed_in.reclaimed:
        audit.record("identity.reclaimed", request=request, user=applicant.user, target=target,
                     source=unified_sign_in.RealNameSource.UNIFIED_SIGN_IN.value)
        messages.success(request, "已通过统一身份认证平台完成实名认证。该证件号码此前的注册信息已由您接管，"
                                  "原密码已失效；如需以密码登录，请通过“忘记密码”设置新密码。")
    elif signed_in.created:
        messages.success(request, "已通过统一身份认证平台登录，账号已开通并完成实名认证。")
    return redirect(next_url or "applicants:home")


def _unified_refused(request, refused):
    audit.record("identity.unified_sign_in", request=request, user=None, outcome=refused.outcome,
                 reason=refused.reason)
    messages.error(request, refused.message)
    return redirect("applicants:login")


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
    page = Paginator(cases.select_related("stage_part__stage"), PAGE_SIZE).get_page(request.GET.get("page"))
    _add_pay_links(page.object_list, request.user)
    return render(request, "applicants/home.html", {
        "applicant": applicant, "applications": _online_applications(applicant), "page": page,
        "real_name": services.sees_identifier_cases(applicant), "Assurance": Assurance,
        "stage_applications": _stage_applications(applicant), "stages": list(stages.my_stages(applicant)[:20]),
    })


def _add_pay_links(cases, user) -> None:
    """网上缴费 for the unpaid charges of the cases listed: only cases this account may see are listed,
    and each link is signed for this account."""
    unpaid = {}
    for charge in Charge.objects.filter(case__in=[case.pk for case in cases], status=Charge.Status.UNPAID,
                                        total__gt=0).order_by("pk"):
        unpaid.setdefault(charge.case_id, []).append({"charge": charge, "token": fees_online.pay_token(charge, user)})
    for case in cases:
        case.pay_links = unpaid.get(case.pk, [])


def _stage_applications(applicant: Applicant) -> list:
    """一件事/阶段 applied for online not yet opened (drafts, waiting, corrections, refusals)."""
    if applicant.identity_released_at is not None:
        return []
    return list(applicant.stage_applications.filter(stage__isnull=True).select_related("template", "project")
                .order_by("-updated_at", "-pk"))


@applicant_required
def stage_detail(request, number):
    """一件事/阶段的整体进度: one progress for the stage; a stage none of whose cases I see does not exist."""
    stage = get_object_or_404(stages.my_stages(request.applicant), number=number)
    return render(request, "applicants/stage.html", {"applicant": request.applicant,
                                                     **stages.progress(stage, request.applicant)})


def _online_applications(applicant: Applicant) -> list:
    # Through the reverse relation: shenpi.online sits above this app and imports it, not the other way.
    if applicant.identity_released_at is not None:
        return []
    return list(applicant.applications.select_related("version", "item", "department", "case")
                .order_by("-updated_at", "-pk"))


def _my_case(request, number: str):
    """Only a case filed under my identifier exists for me."""
    return get_object_or_404(services.my_cases(request.applicant), number=number)


@applicant_required
def case_detail(request, number):
    return _case_page(request, _my_case(request, number))


WITHDRAW = APPLICANT_TRANSITIONS["withdraw_online"]


def _case_page(request, case, *, withdraw_error: str = "", reason: str = "", status: int = 200):
    materials = list(case.materials.all())
    return render(request, "applicants/case.html", {
        "may_withdraw": WITHDRAW.refusal(case) is None,
        "withdraw_error": withdraw_error,
        "withdraw_reason": reason,
        "case": case,
        "applicant": request.applicant,
        "steps": list(case.steps.filter(status=CaseStep.Status.ACTIVE)),
        "materials": materials,
        "deferred": lifecycle.deferred_to_upload(case, materials),
        "notices": list(case.notices.all()),
        "events": _public_events(case),
        "online": getattr(case, "online_application", None),
        "stop": _open_stop(case),
    }, status=status)


@applicant_required
@require_POST
def withdraw(request, number):
    """申请人网上撤回: the signed-in applicant withdraws their own online case (their action is the request)."""
    case = _my_case(request, number)
    reason = str(request.POST.get("reason", "")).strip()[:2000]
    applicant = request.applicant
    try:
        case_services.perform_as_applicant(case.number, WITHDRAW.action, user=applicant.user,
                                           id_index=applicant.id_index, params={"reason": reason},
                                           ip=client_address(request))
    except ServiceError as error:
        message = next(iter((error.fields or {}).get("reason", [])), error.message)
        return _case_page(request, _my_case(request, number), withdraw_error=message, reason=reason,
                          status=error.http_status)
    messages.success(request, "您的办件已撤回，办理终止。")
    return redirect("applicants:case", number=case.number)


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



# -- 实名认证 and 证件号码找回 -------------------------------------------------------------------------

def _verifying(request) -> Applicant | None:
    """The signed-in applicant, or the registrant reclaiming an identifier after proving the mobile."""
    applicant = current_applicant(request)
    if applicant is not None:
        return applicant
    pk = request.session.get(RECLAIMING)
    applicant = Applicant.objects.select_related("user").filter(pk=pk).first() if pk else None
    return applicant if applicant is not None and services.mobile_proven_at(applicant) else None


def real_name(request):
    """实名认证: name and ID number checked by the identity service (for a company also its registration)."""
    applicant = _verifying(request)
    if applicant is None:
        return redirect_to_login(request.get_full_path(), reverse("applicants:login"))
    initial = {"name": applicant.name if applicant.is_person else applicant.contact_name,
               "company_name": "" if applicant.is_person else applicant.name}
    form = RealNameForm(request.POST or None, request.FILES or None, person=applicant.is_person, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            applicant = services.verify_real_name(applicant, services.RealNameInput(
                name=data["name"], id_number=data["id_number"], role=data.get("role") or "self",
                company_name=data.get("company_name", ""), representative=data.get("representative", ""),
                authorisation=data.get("authorisation"), declared=bool(data.get("declared"))), request=request)
        except ServiceError as error:
            # The form is shown again with everything typed in kept (the file must be chosen again).
            put_errors(form, error)
            status = error.http_status
        else:
            if request.session.pop(RECLAIMING, None) is not None:
                login(request, applicant.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "实名认证已通过。以您的证件号码办理的办件已显示在“我的办件”中。")
            return redirect("applicants:home")
    elif request.method == "POST":
        status = 400
    return render(request, "applicants/real_name.html", {
        "form": form, "applicant": applicant, "reclaiming": not applicant.verified,
        "verifications": list(applicant.verifications.all()[:5]) if applicant.verified else [],
    }, status=status)


@applicant_required
def claim(request):
    """添加办件: a case filed at a window or by someone else for me, added with its number and query code."""
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            case = services.claim_case(request.applicant, form.cleaned_data["number"], form.cleaned_data["code"],
                                       request=request)
        except ServiceError as error:
            put_errors(form, error)
            status = error.http_status
        else:
            messages.success(request, f"办件 {case.number} 已添加到“我的办件”。")
            return redirect("applicants:case", number=case.number)
    elif request.method == "POST":
        status = 400
    return render(request, "applicants/claim.html", {"form": form, "applicant": request.applicant}, status=status)


# -- 窗口现场核验 (staff) ---------------------------------------------------------------------------

def _clerk(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.has_role("clerk"))


def window_verify(request):
    """A clerk finds the account by its identifier and, having seen the identity card, marks it real-name verified."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _clerk(request.user):
        return render(request, "applicants/window_verify.html", {"forbidden": True}, status=403)
    identifier = (request.POST.get("identifier") or request.GET.get("identifier") or "").strip()[:18]
    applicant = services.find_applicant(identifier) if identifier else None
    if applicant is not None and (not applicant.verified or applicant.identity_released_at is not None):
        applicant = None
    form = WindowVerifyForm(request.POST or None) if applicant else None
    status = 200
    if request.method == "POST" and applicant is not None and form.is_valid():
        data = form.cleaned_data
        try:
            services.window_verify(applicant, staff=request.user, name=data["name"], id_number=data["id_number"],
                                   role=data["role"], representative=data["representative"], request=request)
        except ServiceError as error:
            put_errors(form, error)
            status = error.http_status
        else:
            messages.success(request, f"{applicant.name}的账号已完成窗口现场核验（实名认证）。")
            return redirect(f"{reverse('identity_staff:window_verify')}?identifier={identifier}")
    elif request.method == "POST":
        status = 400
    return render(request, "applicants/window_verify.html", {
        "identifier": identifier, "applicant": applicant, "form": form,
        "searched": bool(identifier)}, status=status)
