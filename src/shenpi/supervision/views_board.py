"""电子监察 pages: the live board with its charts' figures, an alert, 我的告警 with the answer form,
and the supervisors' manual findings (人工认定) from the case page.

Each view turns HTTP into one call of shenpi.supervision.alerts and back; who may see and do what
is decided there (sees_all, visible_alerts, may_answer, may_flag).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts.access import forbidden, is_htmx, staff_required
from shenpi.cases.models import Case
from shenpi.catalog.models import Department
from shenpi.errors import ServiceError

from . import alerts as services
from .models import Alert, Category, Flag, Level, Rule
from .orders import may_issue
from .scan import describe

PAGE_SIZE = 20
REFRESH_SECONDS = 60
STATUS_CHOICES = [(Alert.Status.OPEN, "未解除"), (Alert.Status.CLOSED, "已解除"), ("all", "全部")]
BOARD_ONLY = "电子监察看板仅供监察员和中心管理员使用。"


# -- forms: shape the request, show what was wrong ------------------------------------------------

def _choice(label: str) -> dict:
    return {"invalid_choice": f"所选{label}不存在。"}


class FilterForm(forms.Form):
    status = forms.ChoiceField(label="状态", choices=STATUS_CHOICES, required=False, error_messages=_choice("状态"))
    level = forms.TypedChoiceField(label="级别", choices=Level.choices, coerce=int, required=False, empty_value=None,
                                   error_messages=_choice("级别"))
    department = forms.ModelChoiceField(label="责任部门", queryset=Department.objects.all(), required=False,
                                        error_messages=_choice("部门"))
    category = forms.ChoiceField(label="类别", choices=Category.choices, required=False, error_messages=_choice("类别"))
    rule = forms.ModelChoiceField(label="监察点", queryset=Rule.objects.all(), to_field_name="code", required=False,
                                  error_messages=_choice("监察点"))
    since = forms.DateField(label="发现日期自", required=False,
                            error_messages={"invalid": "开始日期无效，请按“2026-11-02”的格式填写。"})
    until = forms.DateField(label="至", required=False,
                            error_messages={"invalid": "结束日期无效，请按“2026-11-02”的格式填写。"})

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "结束日期不能早于开始日期。")
        return data

    def alert_filter(self) -> services.AlertFilter:
        """The conditions of the fields that are valid; a wrong field is shown and left out."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status") or Alert.Status.OPEN
        return services.AlertFilter(
            status=None if status == "all" else status, level=data.get("level"),
            department_id=data["department"].pk if data.get("department") else None,
            category=data.get("category") or None, rule_code=data["rule"].code if data.get("rule") else None,
            since=data.get("since"), until=data.get("until"))


class AnswerForm(forms.Form):
    text = forms.CharField(label="整改说明", required=False, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="说明查明的原因、已采取的整改措施和结果。")


class FlagForm(forms.Form):
    case = forms.CharField(label="办件编号", required=False)
    rule = forms.CharField(label="认定事项", required=False)
    note = forms.CharField(label="情况说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _page(request, alerts) -> tuple:
    """One page of alerts, newest first: the page's ids from the alert table, then its rows."""
    page = Paginator(services.newest_first(alerts).values_list("pk", flat=True), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return page, services.rows_of(list(page.object_list))


# -- the live board --------------------------------------------------------------------------------

def _live_context() -> dict:
    counts, departments = services.open_counts()
    return {
        "levels": [(level.value, level.label, counts[level.value]) for level in Level],
        "open_total": sum(counts.values()),
        "by_department": departments,
        "scan": services.last_scan(),
        "refreshed_at": clock.now(),
        "refresh_seconds": REFRESH_SECONDS,
    }


def _list_context(request) -> dict:
    form = FilterForm(request.GET)
    chosen = form.alert_filter()
    page, rows = _page(request, chosen.apply(Alert.objects.all()))
    for alert in rows:
        alert.figures_text = describe(alert)
    return {
        # The list refreshes itself with the filters and the page it shows.
        "form": form, "page": page, "rows": rows, "chosen": chosen, "query": request.GET.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "departments": Department.objects.all(), "categories": Category.choices,
        "rules": Rule.objects.order_by("category", "code"), "level_choices": Level.choices,
        "status_choices": STATUS_CHOICES, "status": request.GET.get("status") or Alert.Status.OPEN,
    }


@staff_required
def board(request):
    if not services.sees_all(request.user):
        return forbidden(request, BOARD_ONLY)
    target = request.headers.get("HX-Target") if is_htmx(request) else None
    if target == "board-live":
        return render(request, "supervision/_board_live.html", _live_context())
    context = _list_context(request)
    if target == "alert-results":
        return render(request, "supervision/_board_results.html", context)
    context.update(_live_context())
    return render(request, "supervision/board.html", context)


@staff_required
def board_data(request):
    """The charts' figures as JSON: one aggregated query per chart."""
    if not services.sees_all(request.user):
        return JsonResponse({"detail": BOARD_ONLY}, status=403)
    response = JsonResponse(services.board_figures())
    response["Cache-Control"] = "private, no-store"
    return response


# -- one alert -------------------------------------------------------------------------------------

def _visible_alert(user, pk: int) -> Alert:
    """An alert this user may not see does not exist for them."""
    return get_object_or_404(
        services.visible_alerts(user).select_related("rule", "case", "case__version", "step", "department",
                                                     "responsible", "answered_by"), pk=pk)


def _flag_of(alert: Alert) -> Flag | None:
    flag_id = (alert.figures or {}).get("flag")
    if not isinstance(flag_id, int):
        return None
    return Flag.objects.filter(pk=flag_id).select_related("rule", "flagged_by", "withdrawn_by").first()


def _alert_context(request, alert: Alert, *, form=None, error=None) -> dict:
    user = request.user
    services.with_orders([alert])
    answerable = (alert.status == Alert.Status.OPEN and alert.answered_at is None
                  and services.may_answer(user, alert))
    return {
        "alert": alert,
        "figures_text": describe(alert),
        "definition": alert.rule.description,
        "event_rule": services.is_event_rule(alert.rule.code),
        "flag": _flag_of(alert),
        "orders": list(alert.orders.select_related("department").order_by("-issued_at")),
        "others": list(Alert.objects.filter(case=alert.case).exclude(pk=alert.pk).select_related("rule")
                       .order_by("-detected_at")[:10]) if alert.case_id else [],
        "sees_all": services.sees_all(user),
        "may_order": may_issue(user),
        "may_flag": services.may_flag(user),
        "answerable": answerable,
        "answer_form": form or (_answer_form(alert) if answerable else None),
        "error": error,
        "next": "alert",
    }


@staff_required
def alert_detail(request, pk):
    alert = _visible_alert(request.user, pk)
    return render(request, "supervision/alert.html", _alert_context(request, alert))


# -- 我的告警 and the answer -------------------------------------------------------------------------

@staff_required
def my_alerts(request):
    user = request.user
    if services.sees_all(user) and not user.department_id:
        return redirect("supervision:board")
    status = request.GET.get("status") or Alert.Status.OPEN
    if status not in (Alert.Status.OPEN, Alert.Status.CLOSED):
        status = Alert.Status.OPEN
    mine = services.to_answer(user)
    page, rows = _page(request, mine.filter(status=status))
    for alert in rows:
        alert.figures_text = describe(alert)
        alert.event_rule = services.is_event_rule(alert.rule.code)
        alert.answerable = alert.status == Alert.Status.OPEN and alert.answered_at is None and services.may_answer(
            user, alert)
        alert.answer_form = _answer_form(alert) if alert.answerable else None
    return render(request, "supervision/alerts.html", {
        "page": page, "rows": rows, "status": status,
        "open_count": mine.filter(status=Alert.Status.OPEN).count(),
        "answers_for_department": services.answers_for_department(user),
        "red_unanswered_days": services.red_unanswered_days(),
    })


def _answer_form(alert: Alert, data=None) -> AnswerForm:
    """Several answer forms share 我的告警: each field's id carries the alert's number."""
    return AnswerForm(data, auto_id=f"id_%s_{alert.pk}")


def _back(request, alert: Alert) -> str:
    """Where the answer came from: the alert's page or 我的告警 (never an address from the request)."""
    if request.POST.get("next") == "alerts":
        return reverse("supervision:alerts")
    return reverse("supervision:alert", args=[alert.pk])


def _go(request, url: str):
    """A redirect that htmx follows as a whole page rather than swapping it into the form."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _done(request, url: str, message: str):
    messages.success(request, message)
    return _go(request, url)


@staff_required
@require_POST
def alert_answer(request, pk):
    user = request.user
    alert = _visible_alert(user, pk)
    form = _answer_form(alert, request.POST)
    form.is_valid()
    try:
        alert = services.answer_alert(alert, user, form.cleaned_data.get("text", ""))
    except ServiceError as error:
        for field, problems in error.fields.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        fresh = _visible_alert(user, pk)
        context = _alert_context(request, fresh, form=form, error=error)
        context["next"] = "alerts" if request.POST.get("next") == "alerts" else "alert"
        template = "supervision/_answer_form.html" if is_htmx(request) else "supervision/alert.html"
        return render(request, template, context, status=error.http_status)
    done = "整改说明已提交，告警已解除。" if alert.status == Alert.Status.CLOSED else "整改说明已提交。"
    return _done(request, _back(request, alert), done)


# -- 人工认定 -------------------------------------------------------------------------------------

def _case_page(number: str) -> str:
    return reverse("workbench:case", args=[number]) + "#case-alerts"


def _refused_flag(request, form: FlagForm, error: ServiceError, number: str):
    """With htmx the case page's panel again, with the message and the values typed; else a message."""
    case = Case.objects.filter(number=number).first() if number else None
    if case is not None and is_htmx(request):
        for field, problems in error.fields.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return render(request, "supervision/_case_alerts.html", {
            "case": case, "supervision": services.case_supervision(request.user, case), "flag_form": form,
            "flag_error": error,
        }, status=error.http_status)
    messages.error(request, f"未能认定：{error.message}")
    return _go(request, _case_page(case.number) if case is not None else reverse("supervision:board"))


@staff_required
@require_POST
def flag_new(request):
    user = request.user
    if not services.may_flag(user):
        return forbidden(request, "人工认定须由监察员作出。")
    form = FlagForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    number = (data.get("case") or "").strip().upper()
    try:
        flag = services.flag_case(user, number, data.get("rule", ""), data.get("note", ""))
    except ServiceError as error:
        return _refused_flag(request, form, error, number)
    return _done(request, _case_page(flag.case.number),
                 f"已认定“{flag.rule.name}”，监察扫描（每分钟一次）将据此发出红牌。")


@staff_required
@require_POST
def flag_withdraw(request, pk):
    user = request.user
    if not services.may_flag(user):
        return forbidden(request, "撤销人工认定须由监察员办理。")
    flag = get_object_or_404(Flag.objects.select_related("case", "rule"), pk=pk)
    try:
        services.withdraw_flag(flag, user)
    except ServiceError as error:
        messages.error(request, error.message)
        return _go(request, _case_page(flag.case.number))
    return _done(request, _case_page(flag.case.number), f"已撤销“{flag.rule.name}”的人工认定，相应告警已解除。")


urlpatterns = [
    path("", board, name="board"),
    path("board/data/", board_data, name="board_data"),
    path("alerts/", my_alerts, name="alerts"),
    path("alerts/<int:pk>/", alert_detail, name="alert"),
    path("alerts/<int:pk>/answer/", alert_answer, name="alert_answer"),
    path("flags/", flag_new, name="flag_new"),
    path("flags/<int:pk>/withdraw/", flag_withdraw, name="flag_withdraw"),
]
