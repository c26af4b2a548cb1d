"""Forms of the workbench: they collect what a person typed and hand it to the services.

The rules (a valid ID number, complete materials, a reason for a refusal…) live in the services,
which answer with precise Chinese messages; these forms only shape HTTP data into parameters and
put the services' messages back next to the fields they concern.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django import forms
from django.core import signing
from django.core.files.storage import default_storage

from shenpi import clock
from shenpi.accounts import routing
from shenpi.accounts.models import Absence, Role, User
from shenpi.cases import files, lifecycle
from shenpi.cases.files import StoredFile
from shenpi.cases.models import ApplicantKind, Case, CaseStep, State
from shenpi.cases.services import ApplicantInput
from shenpi.catalog.models import ItemProcedure, MaterialSpec
from shenpi.errors import InvalidInput, ServiceError

DEFAULT_PROBLEM = "未提交"
EXTRA_MISSING_ROWS = 2
DELIVERY_CHOICES = [(v, v) for v in ("窗口领取", "邮寄送达", "电子送达", "当场送达")]


def _text(label: str, *, max_length: int = 200, rows: int = 0, **kw) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(label=label, max_length=max_length, required=False, widget=widget, **kw)


def put_errors(form: forms.Form, error: ServiceError, field_names: dict[str, str]) -> list[str]:
    """Attach a service's field messages to the form; return the messages no field shows."""
    loose = []
    for key, messages in error.fields.items():
        name = field_names.get(key, key)
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            else:
                loose.append(message)
    return loose


# -- correction rows (一次性告知): shared by the acceptance screen and the case page ----------

@dataclass
class MissingRow:
    index: int
    include: bool
    name: str
    problem: str


def missing_rows_for(names: list[str]) -> list[MissingRow]:
    """Every material still missing, pre-filled, and blank rows for anything else to correct."""
    rows = [MissingRow(i, True, name, DEFAULT_PROBLEM) for i, name in enumerate(names)]
    rows += [MissingRow(len(rows) + i, True, "", "") for i in range(EXTRA_MISSING_ROWS)]
    return rows


def missing_rows_from(data, prefix: str = "missing") -> list[MissingRow]:
    try:
        count = min(int(data.get(f"{prefix}-count", 0)), 200)
    except (TypeError, ValueError):
        count = 0
    return [
        MissingRow(i, bool(data.get(f"{prefix}-{i}-include")), str(data.get(f"{prefix}-{i}-name", "")).strip(),
                   str(data.get(f"{prefix}-{i}-problem", "")).strip())
        for i in range(count)
    ]


def missing_payload(rows: list[MissingRow]) -> list[dict]:
    return [{"name": r.name, "problem": r.problem or DEFAULT_PROBLEM} for r in rows if r.include and r.name]


# -- the acceptance screen ----------------------------------------------------------------------

@dataclass
class MaterialRow:
    spec: MaterialSpec
    received: bool
    copies: str
    deferred: bool
    # The window's scan of the paper (高拍仪/扫描仪), checked and stored; carried across re-rendered forms.
    scan: StoredFile | None = None
    scan_ticket: str = ""
    scan_error: str = ""

    @property
    def key(self) -> str:
        return f"m{self.spec.pk}"


def material_rows(specs: list[MaterialSpec], data=None) -> list[MaterialRow]:
    if data is None:
        return [MaterialRow(s, False, str(s.copies), False) for s in specs]
    return [
        MaterialRow(s, bool(data.get(f"m{s.pk}-received")), str(data.get(f"m{s.pk}-copies", s.copies)).strip(),
                    s.deferrable and bool(data.get(f"m{s.pk}-deferred")))
        for s in specs
    ]


SCAN_TICKET_HOURS = 24


def _scan_salt(user) -> str:
    return f"shenpi.workbench.window-scan.{user.pk}"


def attach_scans(rows: list[MaterialRow], data, uploaded, user) -> list[str]:
    """Each row's scan: a file chosen now (checked by content, then stored) or one kept from the form's
    previous rendering (a signed ticket, valid for this clerk only). Returns the refusals."""
    refusals = []
    for row in rows:
        chosen = uploaded.get(f"{row.key}-file")
        if chosen:
            try:
                row.scan = files.store(files.inspect(chosen))
            except InvalidInput as error:
                row.scan_error = error.message
                refusals.append(f"{row.spec.name}：{error.message}")
                continue
        elif data.get(f"{row.key}-scan"):
            try:
                kept = signing.loads(data[f"{row.key}-scan"], salt=_scan_salt(user),
                                     max_age=SCAN_TICKET_HOURS * 3600)
                row.scan = StoredFile(**kept)
            except (signing.BadSignature, TypeError):
                row.scan_error = "扫描件已失效，请重新选择文件。"
                refusals.append(f"{row.spec.name}：{row.scan_error}")
                continue
        if row.scan is not None:
            row.received, row.deferred = True, False
            row.scan_ticket = signing.dumps(asdict(row.scan), salt=_scan_salt(user))
    return refusals


def materials_payload(rows: list[MaterialRow]) -> dict[int, dict]:
    payload = {}
    for row in rows:
        entry: dict = {"received": row.received, "deferred": row.deferred}
        if row.received and row.copies.isdigit():
            entry["copies"] = int(row.copies)
        if row.scan is not None:
            entry["file"] = row.scan
        payload[row.spec.pk] = entry
    return payload


def still_missing(rows: list[MaterialRow]) -> list[str]:
    """Required materials neither ticked as received nor deferred (容缺)."""
    return [r.spec.name for r in rows if r.spec.required and not r.received and not r.deferred]


class AcceptanceForm(forms.Form):
    # The four outcomes of the window: each maps to one action of the transition table.
    DECISIONS = {
        "accept": "accept",
        "correct": "request_correction",
        "refuse": "refuse",
        "on_the_spot": "handle_on_the_spot",
    }
    # Where each of the services' field names is shown on this form.
    FIELD_NAMES = {"applicant_id": "id_number", "contact_phone": "phone", "reason": "refuse_reason",
                   "opinion": "opinion"}

    applicant_kind = forms.ChoiceField(label="申请人类型", choices=ApplicantKind.choices, initial=ApplicantKind.PERSON,
                                       widget=forms.RadioSelect)
    applicant_name = _text("申请人名称", help_text="个人填写姓名，法人填写单位全称。")
    id_number = _text("证件号码", max_length=40, help_text="个人填写18位身份证号码，法人填写18位统一社会信用代码。")
    id_note = _text("校验不通过但合法的理由",
                    help_text="仅限统一社会信用代码校验位不符但确属合法（如早期试点地区赋码）时填写，将记入办件。")
    contact_name = _text("联系人", max_length=50)
    phone = _text("联系电话", max_length=20)
    title = _text("申请事项/项目名称")
    refuse_reason = _text("不予受理理由", max_length=2000, rows=3)
    correction_comment = _text("补正说明", max_length=2000, rows=2,
                               help_text="可写明补正方式、地点等，将写入一次性告知书。")
    opinion = _text("办理意见", max_length=2000, rows=2)
    commitment = forms.BooleanField(label="申请人已签署容缺受理承诺书", required=False,
                                    help_text="有材料按容缺受理时必须勾选：申请人书面承诺在事项规定的期限内补交。")

    def applicant(self) -> ApplicantInput:
        data = self.cleaned_data
        return ApplicantInput(kind=data["applicant_kind"], name=data["applicant_name"], id_number=data["id_number"],
                              contact_name=data["contact_name"], phone=data["phone"], id_note=data["id_note"])

    def action_params(self, decision: str, missing: list[dict]) -> dict:
        data = self.cleaned_data
        if decision == "correct":
            return {"missing": missing, "comment": data["correction_comment"]}
        if decision == "refuse":
            return {"reason": data["refuse_reason"]}
        deferral = {"commitment": data["commitment"]} if data["commitment"] else {}
        if decision == "on_the_spot":
            return {"opinion": data["opinion"], **deferral}
        return deferral


# -- the action forms of the case page ----------------------------------------------------------

class ActionForm(forms.Form):
    """One action's parameters; the prefix (the action) keeps field ids unique on the page."""

    # How the services' parameter names map onto this form's fields.
    FIELD_NAMES: dict[str, str] = {}

    def __init__(self, data=None, *, case: Case, action: str, **kw):
        super().__init__(data, prefix=action, **kw)
        self.case = case
        self.action = action

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in ("", None, [])}


def _active_steps(case: Case) -> list[CaseStep]:
    return [s for s in case.steps.all() if s.status == CaseStep.Status.ACTIVE]


class StepActionForm(ActionForm):
    """Actions on a step: when parallel steps run, the person says which one they work."""

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        active = _active_steps(self.case)
        if len(active) > 1:
            self.fields["step"] = forms.ChoiceField(
                label="办理环节", choices=[(s.pk, f"{s.name}（{s.department}）") for s in active])
            self.order_fields(["step"])


class PassForm(StepActionForm):
    opinion = _text("办理意见", max_length=2000, rows=3, initial="同意")


class ReturnForm(StepActionForm):
    to_seq = forms.TypedChoiceField(label="退回到", coerce=int, required=False)
    reason = _text("退回理由", max_length=2000, rows=3)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        # Stages before the latest one being worked: while a partner's returned part redoes an
        # earlier stage, the lead's part of the later stage may still be returned (the service
        # checks the target against the step actually worked).
        current = max((s.seq for s in _active_steps(self.case)), default=0)
        names: dict[int, list[str]] = {}
        for flow_step in self.case.version.steps.all():
            if flow_step.seq < current:
                names.setdefault(flow_step.seq, []).append(flow_step.name)
        choices = [(seq, f"第{seq}步：{'、'.join(n)}") for seq, n in sorted(names.items())]
        self.fields["to_seq"].choices = choices
        if choices:
            self.fields["to_seq"].initial = choices[-1][0]


class TransferForm(StepActionForm):
    """转办: a colleague of the step's department who holds its role and is not away, and why."""

    to = forms.ChoiceField(label="转交给", required=False,
                           help_text="本部门具有该环节角色、今日在岗的同事；转办不停止计时。")
    reason = _text("转办理由", max_length=2000, rows=2)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        self.fields["to"].choices = [("", "请选择同事")] + transfer_choices(_active_steps(self.case))


def transfer_choices(steps: list[CaseStep]) -> list[tuple[int, str]]:
    """Colleagues present today who hold an active step's role in its department, but not its assignee."""
    today = clock.today()
    away = Absence.objects.filter(routing.away_on(today)).values("user_id")
    choices: dict[int, str] = {}
    for step in steps:
        people = (User.objects.filter(department_id=step.department_id, roles=step.role_id, is_active=True,
                                      on_duty=True).exclude(pk=step.assignee_id).exclude(pk__in=away)
                  .order_by("username"))
        for person in people:
            choices.setdefault(person.pk, f"{person}（{step.name}·{Role.NAMES.get(step.role_id, step.role_id)}）")
    return list(choices.items())


class SupplementRequestForm(StepActionForm):
    """补件: the case's materials to bring again (ticked) and any other document (one name a line)."""

    materials = forms.MultipleChoiceField(label="需补交的本件材料", required=False,
                                          widget=forms.CheckboxSelectMultiple)
    others = _text("其他需补交的材料（每行一项，可写“材料名称：存在问题”）", max_length=2000, rows=2)
    reason = _text("补交理由", max_length=2000, rows=3)
    expected_days = forms.CharField(label="补交期限(工作日)", initial=lifecycle.CORRECTION_NOTICE_DAYS, required=False,
                                    widget=forms.NumberInput(attrs={"min": 1, "max": 30}))

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        self.fields["materials"].choices = [(m.pk, m.name) for m in self.case.materials.all()]

    def params(self) -> dict:
        params = super().params()
        listed = [{"material": pk} for pk in params.pop("materials", [])]
        for line in params.pop("others", "").splitlines():
            name, _, problem = line.replace(":", "：").partition("：")
            if name.strip():
                listed.append({"name": name.strip(), "problem": problem.strip()})
        if listed:
            params["materials"] = listed
        return params


class SuspendForm(StepActionForm):
    kind = forms.ChoiceField(label="特别程序", required=False)
    reason = _text("暂停理由", max_length=2000, rows=3)
    expected_days = forms.CharField(label="预计时长(工作日)", required=False,
                                    widget=forms.NumberInput(attrs={"min": 1}))

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        procedures = ItemProcedure.objects.filter(version_id=self.case.version_id).select_related("kind")
        self.fields["kind"].choices = [(p.kind.code, f"{p.kind.name}（时限{p.limit_days}个工作日）")
                                       for p in procedures]


class ReasonForm(ActionForm):
    LABELS = {"refuse": "不予受理理由", "deny": "不予许可理由(将写入决定书)", "withdraw": "申请人的撤回理由",
              "void": "作废理由"}
    reason = _text("理由", max_length=2000, rows=3)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        self.fields["reason"].label = self.LABELS.get(self.action, "理由")


class WithdrawForm(ReasonForm):
    """申请人撤回 at the window: the reason and the scan of the applicant's signed 撤回申请书, checked by
    content on validation, stored when the parameters are taken, deleted again if the action is refused."""

    request_file = forms.FileField(
        label=f"{lifecycle.WITHDRAWAL_REQUEST}扫描件", required=False,
        help_text="申请人签字（盖章）的撤回申请书，PDF、JPG或PNG。",
        widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        self.stored: list[str] = []
        self.checked = None

    def clean(self):
        data = super().clean()
        chosen = data.get("request_file")
        if chosen:
            try:
                self.checked = files.inspect(chosen)
            except InvalidInput as error:
                self.add_error("request_file", error.message)
        return data

    def params(self) -> dict:
        params = {k: v for k, v in super().params().items() if k != "request_file"}
        if self.checked is not None:
            params["request_file"] = files.store(self.checked)
            self.stored.append(params["request_file"].path)
        return params

    def discard(self) -> None:
        for name in self.stored:
            default_storage.delete(name)
        self.stored = []


class OpinionForm(ActionForm):
    opinion = _text("意见", max_length=2000, rows=3)


class GrantForm(ActionForm):
    opinion = _text("决定意见", max_length=2000, rows=3, initial="准予许可")


class ScansForm(ActionForm):
    """An action that takes the window's scans (高拍仪/扫描仪) of what the applicant brought: one optional
    file input per entry, checked by content on validation, stored when the parameters are taken (the
    action accepts only stored files), deleted again if the action is refused."""

    def add_scans(self, entries: list[tuple[object, str]]) -> None:
        self.scan_keys = [key for key, _ in entries]
        for key, name in entries:
            self.fields[f"file_{key}"] = forms.FileField(
                label=f"{name} 扫描件", required=False, help_text="可选：窗口扫描的电子材料（PDF、JPG、PNG）。",
                widget=forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        self.stored: list[str] = []
        self.checked: dict = {}

    def clean(self):
        data = super().clean()
        self.checked = {}
        for key in self.scan_keys:
            chosen = data.get(f"file_{key}")
            if chosen:
                try:
                    self.checked[key] = files.inspect(chosen)
                except InvalidInput as error:
                    self.add_error(f"file_{key}", error.message)
        return data

    def params(self) -> dict:
        params = {k: v for k, v in super().params().items() if not k.startswith("file_")}
        if self.checked:
            kept = {}
            for key, checked in self.checked.items():
                kept[key] = files.store(checked)
                self.stored.append(kept[key].path)
            params["files"] = kept
        return params

    def discard(self) -> None:
        """The action was refused: the scans stored for it point at nothing, so they go."""
        for name in self.stored:
            default_storage.delete(name)
        self.stored = []


class ResumeForm(ScansForm):
    """恢复计时; ending a 补件 that lists materials, the window's scans of those the applicant brought."""

    comment = _text("说明", max_length=2000, rows=2, initial="特别程序(补件)已结束，恢复计时")

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        stop = lifecycle.open_stop(self.case) if self.case.state == State.SUSPENDED else None
        listed = (stop.materials or []) if stop is not None and stop.is_supplement else []
        self.add_scans([(index, entry["name"]) for index, entry in enumerate(listed)])


class ExtendForm(ActionForm):
    days = forms.CharField(label="延长(工作日)", required=False, widget=forms.NumberInput(attrs={"min": 1}))
    reason = _text("延期理由(将告知申请人)", max_length=2000, rows=3)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        room = self.case.version.extension_limit - self.case.extension_days
        self.fields["days"].help_text = f"本事项最多还可延长{max(room, 0)}个工作日。"


class CompleteForm(ActionForm):
    delivery = forms.ChoiceField(label="送达方式", choices=DELIVERY_CHOICES, initial="窗口领取")
    # 窗口领取 by an agent: their identity (empty: the applicant in person). 邮寄 is posted from the 送达 section.
    receiver_name = _text("代领人姓名", max_length=100,
                          help_text="窗口领取时由他人代领的，填写代领人姓名和身份证号码。")
    receiver_id = _text("代领人身份证号码", max_length=18)


class SupplementForm(ActionForm):
    materials = forms.MultipleChoiceField(label="已收齐的补正材料", required=False,
                                          widget=forms.CheckboxSelectMultiple)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        outstanding = [m for m in self.case.materials.all() if not m.received]
        self.fields["materials"].choices = [(m.pk, m.name) for m in outstanding]
        self.fields["materials"].initial = [m.pk for m in outstanding]


class AcceptForm(ActionForm):
    """受理 from the case page; with materials deferred (容缺), the applicant's commitment is recorded."""

    commitment = forms.BooleanField(label="申请人已签署容缺受理承诺书", required=False)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        deferred = [m.name for m in self.case.materials.all() if m.outstanding]
        if deferred:
            self.fields["commitment"].help_text = f"容缺材料：{'、'.join(deferred)}。申请人承诺在事项规定的期限内补交。"
        else:
            del self.fields["commitment"]


class ReceiveDeferredForm(ScansForm):
    """容缺材料补交: the materials accepted under 容缺 that the applicant brings now, each with the window's
    scan when taken (choosing a file alone says the material was brought)."""

    materials = forms.MultipleChoiceField(label="申请人补交的容缺材料", required=False,
                                          widget=forms.CheckboxSelectMultiple)
    comment = _text("说明", max_length=2000, rows=2)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        outstanding = [m for m in self.case.materials.all() if m.outstanding]
        self.fields["materials"].choices = [
            (m.pk, f"{m.name}（{m.due_on:%Y-%m-%d}前）" if m.due_on else m.name) for m in outstanding]
        self.add_scans([(m.pk, m.name) for m in outstanding])
        self.order_fields(["materials", *[f"file_{m.pk}" for m in outstanding], "comment"])


class CorrectionForm(ActionForm):
    """The one-time notice: every required material still missing, editable, with what is wrong."""

    comment = _text("补正说明", max_length=2000, rows=2)

    def __init__(self, data=None, **kw):
        super().__init__(data, **kw)
        if data is None:
            names = lifecycle.missing_materials(self.case)
            self.rows = missing_rows_for(names)
        else:
            self.rows = missing_rows_from(data, prefix=f"{self.action}-missing")

    def params(self) -> dict:
        return {**super().params(), "missing": missing_payload(self.rows)}


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": AcceptForm,
    "request_correction": CorrectionForm,
    "supplement": SupplementForm,
    "receive_deferred": ReceiveDeferredForm,
    "refuse": ReasonForm,
    "handle_on_the_spot": OpinionForm,
    "pass": PassForm,
    "return": ReturnForm,
    "transfer": TransferForm,
    "request_supplement": SupplementRequestForm,
    "suspend": SuspendForm,
    "resume": ResumeForm,
    "extend": ExtendForm,
    "grant": GrantForm,
    "deny": ReasonForm,
    "complete": CompleteForm,
    "withdraw": WithdrawForm,
    "void": ReasonForm,
}

# Actions that end or turn back a case: their buttons look different and ask for confirmation.
NEGATIVE_ACTIONS = frozenset({"refuse", "return", "deny", "withdraw", "void"})


def action_form(action: str, case: Case, data=None, uploaded=None) -> ActionForm:
    return ACTION_FORMS.get(action, ActionForm)(data, files=uploaded, case=case, action=action)


# -- the department's stand-ins and absences (AB角与离岗) --------------------------------------------

class PairForm(forms.Form):
    principal = forms.ChoiceField(label="A角（主办人）")
    stand_in = forms.ChoiceField(label="B角（代办人）", help_text="A角离岗期间，由B角办理其名下的环节。")

    def __init__(self, data=None, *, staff: list[User], **kw):
        super().__init__(data, prefix="pair", **kw)
        choices = [("", "请选择")] + [(u.pk, str(u)) for u in staff]
        self.fields["principal"].choices = self.fields["stand_in"].choices = choices


class AbsenceForm(forms.Form):
    user = forms.ChoiceField(label="离岗人员")
    starts_on = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text="含当日。离岗期间不再向其分派新环节。")
    reason = _text("事由", max_length=100, help_text="如年休假、出差、培训、病假。")

    FIELD_NAMES = {"starts_on": "starts_on", "ends_on": "ends_on", "reason": "reason"}

    def __init__(self, data=None, *, staff: list[User], **kw):
        super().__init__(data, prefix="absence", **kw)
        self.fields["user"].choices = [("", "请选择")] + [(u.pk, str(u)) for u in staff]
