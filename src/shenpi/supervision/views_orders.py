"""督办 pages: the list, issuing an order, the order with its history, answering, reviewing, printing.

Each view turns HTTP into one call of shenpi.supervision.orders and back; who may do what is
decided there (may_issue, may_answer, visible_orders), the pages only show its answers.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from shenpi import clock
from shenpi.accounts.access import forbidden, is_htmx, staff_required
from shenpi.cases.models import Case
from shenpi.catalog.models import Department
from shenpi.errors import InvalidInput, ServiceError
from shenpi.workbench.forms import put_errors
from shenpi.workdays.services import get_calendar

from . import orders as services
from .models import Alert, Order, OrderAttachment, OrderEntry
from .scan import describe

PAGE_SIZE = 20
Status = Order.Status
OVERDUE = "overdue"
STATUS_TONES = {Status.OPEN: "warn", Status.ANSWERED: "info", Status.ACCEPTED: "ok"}


# -- forms: shape the request for the services, show their messages ------------------------------

class IssueForm(forms.Form):
    title = forms.CharField(label="督办事由", max_length=200, required=False)
    demand = forms.CharField(label="督办要求", required=False, widget=forms.Textarea(attrs={"rows": 5}),
                             help_text="写明需要整改的问题、整改要求和反馈内容。")
    department = forms.ModelChoiceField(label="责任部门", queryset=Department.objects.all(), required=False,
                                        empty_label="请选择")
    reply_days = forms.IntegerField(label="反馈期限（工作日）", initial=services.DEFAULT_REPLY_DAYS,
                                    min_value=1, max_value=services.MAX_REPLY_DAYS,
                                    help_text="自今日起按工作日计算，节假日不计。")
    cases = forms.CharField(label="相关办件编号", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text="多个编号以空格、逗号或换行分隔。")
    alerts = forms.ModelMultipleChoiceField(label="相关告警", queryset=Alert.objects.all(), required=False,
                                            widget=forms.MultipleHiddenInput)


class AnswerForm(forms.Form):
    text = forms.CharField(label="整改情况", required=False, widget=forms.Textarea(attrs={"rows": 6}),
                           help_text="说明查明的情况、已采取的整改措施和结果。")


class AcceptForm(forms.Form):
    note = forms.CharField(label="审核意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SendBackForm(forms.Form):
    note = forms.CharField(label="退回理由", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="写明仍需整改的内容。")
    reply_days = forms.IntegerField(label="新的反馈期限（工作日）", initial=services.DEFAULT_REPLY_DAYS,
                                    min_value=1, max_value=services.MAX_REPLY_DAYS)


def _form_error(form: forms.Form) -> InvalidInput:
    fields = {name: list(errors) for name, errors in form.errors.items()}
    return InvalidInput("；".join(m for ms in fields.values() for m in ms), fields)


# -- reading ------------------------------------------------------------------------------------

def _deadline(order: Order, today) -> Order:
    """Working days to the reply deadline, and how the list and the page colour it."""
    order.days_left = get_calendar().between(today, order.reply_due) if order.status == Status.OPEN else None
    order.overdue = order.days_left is not None and order.days_left < 0
    order.overdue_days = -order.days_left if order.overdue else 0
    order.tone = "bad" if order.overdue else STATUS_TONES.get(order.status, "muted")
    return order


def _visible_order(user, number: str) -> Order:
    """An order this user may not see does not exist for them."""
    return get_object_or_404(services.visible_orders(user).select_related("department", "issued_by"),
                             number=number)


@staff_required
def order_list(request):
    user, today = request.user, clock.today()
    visible = services.visible_orders(user)
    orders = visible.select_related("department", "issued_by").prefetch_related("cases")
    status = request.GET.get("status", "")
    if status == OVERDUE:
        orders = orders.filter(status=Status.OPEN, reply_due__lt=today)
    elif status in Status.values:
        orders = orders.filter(status=status)
    else:
        status = ""
    supervisor = services.may_issue(user)
    department = request.GET.get("department", "")
    if supervisor and department.isdigit():
        orders = orders.filter(department_id=int(department))
    else:
        department = ""
    query = request.GET.get("q", "").strip()
    if query:
        orders = orders.filter(Q(number__istartswith=query) | Q(title__icontains=query))
    page = Paginator(orders.order_by("-issued_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    for order in page.object_list:
        _deadline(order, today)
    counts = dict(visible.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
    context = {
        "page": page, "status": status, "department": department, "q": query, "supervisor": supervisor,
        "departments": Department.objects.all() if supervisor else [],
        "statuses": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        "total": sum(counts.values()),
        "overdue_count": visible.filter(status=Status.OPEN, reply_due__lt=today).count(),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "order-results":
        return render(request, "supervision/order_list_results.html", context)
    return render(request, "supervision/order_list.html", context)


def _history(order: Order) -> list[OrderEntry]:
    """The entries in order, each reply with the deadline it answered and whether it came late."""
    entries = list(order.entries.select_related("by__department").prefetch_related(
        Prefetch("attachments", queryset=OrderAttachment.objects.order_by("pk"))))
    calendar, due = get_calendar(), None
    for entry in entries:
        entry.late_days = 0
        if entry.reply_due is not None:
            due = entry.reply_due
        elif entry.kind == OrderEntry.Kind.REPLY and due is not None:
            entry.answered_due = due
            entry.late_days = max(0, calendar.between(due, timezone.localdate(entry.at)))
    return entries


def _order_context(request, order: Order, **forms_and_error) -> dict:
    user = request.user
    _deadline(order, clock.today())
    may_answer = order.status == Status.OPEN and services.may_answer(user, order)
    may_review = order.status == Status.ANSWERED and services.may_issue(user)
    context = {
        "order": order,
        "entries": _history(order),
        "alerts": list(order.alerts.select_related("rule", "case", "department", "responsible")),
        "cases": list(order.cases.select_related("version", "department")),
        "may_answer": may_answer,
        "may_review": may_review,
        "answer_form": AnswerForm() if may_answer else None,
        "accept_form": AcceptForm() if may_review else None,
        "send_back_form": SendBackForm(initial={"reply_days": services.DEFAULT_REPLY_DAYS}) if may_review else None,
        "accepted_files": services.ACCEPTED_FILES,
        "max_files": services.MAX_FILES,
        "failed": "",
        "error": None,
        "file_errors": [],
    }
    context.update(forms_and_error)
    return context


@staff_required
def order_detail(request, number):
    order = _visible_order(request.user, number)
    return render(request, "supervision/order_detail.html", _order_context(request, order))


@staff_required
def order_print(request, number):
    """督办通知单: the order as the department files it."""
    order = _visible_order(request.user, number)
    return render(request, "supervision/order_print.html", _order_context(request, order))


@staff_required
def attachment(request, number, pk):
    """A reply's attachment, for those who may see the order; always downloaded, never shown inline."""
    order = _visible_order(request.user, number)
    item = get_object_or_404(OrderAttachment, pk=pk, entry__order=order)
    response = FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name,
                            content_type=item.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


# -- issuing ------------------------------------------------------------------------------------

def _issue_initial(request) -> tuple[dict, list[str]]:
    """What the form starts with when opened from an alert (?alert=ID) or cases (?case=NUMBER…)."""
    problems = []
    ids = [v for v in request.GET.getlist("alert") if v.strip()]
    alerts = list(Alert.objects.filter(pk__in=[int(v) for v in ids if v.isdigit()])
                  .select_related("rule", "case", "department"))
    if len(alerts) < len(ids):
        problems.append("部分告警不存在，已忽略。")
    numbers = services.case_numbers(" ".join(request.GET.getlist("case")))
    cases = list(Case.objects.filter(number__in=numbers).select_related("version", "department"))
    if len(cases) < len(numbers):
        problems.append("部分办件编号不存在，已忽略。")
    # An order issued from an alert is about the alert's case too: the department answers for both.
    wanted = dict.fromkeys([*(a.case.number for a in alerts if a.case is not None), *(c.number for c in cases)])
    initial = {"alerts": alerts, "cases": " ".join(wanted),
               "reply_days": services.DEFAULT_REPLY_DAYS}
    first_department = next((x.department for x in [*alerts, *cases]), None)
    if first_department is not None:
        initial["department"] = first_department
    if alerts:
        first = alerts[0]
        initial["title"] = f"{first.rule.name}（{first.get_level_display()}）"
        if first.case is not None:
            initial["title"] += f"：办件{first.case.number}"
        initial["demand"] = f"{first.rule.name}：{describe(first)}请查明原因，及时整改，并在反馈期限内反馈整改情况。"
    elif cases:
        initial["title"] = f"办件{cases[0].number}（{cases[0].version.name}）督办"
    return initial, problems


@staff_required
def order_new(request):
    user = request.user
    if not services.may_issue(user):
        return forbidden(request, "督办须由监察员发出。")
    if request.method != "POST":
        initial, problems = _issue_initial(request)
        form = IssueForm(initial=initial)
        return _render_new(request, form, initial.get("alerts", []), problems)
    form = IssueForm(request.POST)
    chosen = list(Alert.objects.filter(pk__in=[v for v in request.POST.getlist("alerts") if v.isdigit()])
                  .select_related("rule", "case", "department"))
    if not form.is_valid():
        return _render_new(request, form, chosen, [], error=_form_error(form), status=400)
    data = form.cleaned_data
    try:
        order = services.issue_order(user, data["department"] or "", data["title"], data["demand"],
                                     alerts=data["alerts"], cases=services.case_numbers(data["cases"]),
                                     reply_days=data["reply_days"])
    except ServiceError as error:
        loose = put_errors(form, error, {})
        return _render_new(request, form, chosen, loose, error=error, status=error.http_status)
    messages.success(request, f"已发出督办单 {order.number}，反馈期限 {order.reply_due:%Y-%m-%d}。")
    return redirect("supervision:order", number=order.number)


def _render_new(request, form, alerts, problems, *, error=None, status=200):
    return render(request, "supervision/order_new.html", {
        "form": form, "alerts": alerts, "problems": problems, "error": error,
    }, status=status)


# -- answering and reviewing --------------------------------------------------------------------

def _done(request, order: Order, message: str):
    messages.success(request, message)
    url = reverse("supervision:order", args=[order.number])
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _refused(request, number: str, error: ServiceError, failed: str, form: forms.Form):
    """The page again, with the message, the values typed and nothing changed."""
    order = _visible_order(request.user, number)
    context = _order_context(request, order, error=error, failed=failed, file_errors=error.fields.get("files", []),
                             **{f"{failed}_form": form})
    template = "supervision/order_actions.html" if is_htmx(request) else "supervision/order_detail.html"
    return render(request, template, context, status=error.http_status)


def _act(request, number: str, name: str, form: forms.Form, perform, done: str):
    """Validate the form, call the service once; on refusal the page again and nothing changed."""
    order = _visible_order(request.user, number)
    if not form.is_valid():
        return _refused(request, number, _form_error(form), name, form)
    try:
        order = perform(order, form.cleaned_data)
    except ServiceError as error:
        put_errors(form, error, {})  # messages of fields the form lacks (the files) are shown by the page
        return _refused(request, number, error, name, form)
    return _done(request, order, done.format(order=order))


@staff_required
@require_POST
def order_answer(request, number):
    files = request.FILES.getlist("files")
    return _act(request, number, "answer", AnswerForm(request.POST),
                lambda order, data: services.answer(order, request.user, data["text"], files),
                "整改反馈已提交，等待监察员审核。")


@staff_required
@require_POST
def order_accept(request, number):
    return _act(request, number, "accept", AcceptForm(request.POST),
                lambda order, data: services.accept(order, request.user, data["note"]),
                "督办单 {order.number} 已审核通过并办结。")


@staff_required
@require_POST
def order_send_back(request, number):
    return _act(request, number, "send_back", SendBackForm(request.POST),
                lambda order, data: services.send_back(order, request.user, data["note"], data["reply_days"]),
                "已退回重新整改，新的反馈期限 {order.reply_due:%Y-%m-%d}。")


urlpatterns = [
    path("orders/", order_list, name="orders"),
    path("orders/new/", order_new, name="order_new"),
    path("orders/<str:number>/", order_detail, name="order"),
    path("orders/<str:number>/print/", order_print, name="order_print"),
    path("orders/<str:number>/answer/", order_answer, name="order_answer"),
    path("orders/<str:number>/accept/", order_accept, name="order_accept"),
    path("orders/<str:number>/send-back/", order_send_back, name="order_send_back"),
    path("orders/<str:number>/attachments/<int:pk>/", attachment, name="order_attachment"),
]
