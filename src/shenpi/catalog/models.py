"""Departments, windows and the item catalogue (事项目录), versioned.

An Item is the stable identity (one code: 同一事项、同一编码); an ItemVersion holds everything a
case depends on. Published versions are never edited: a change makes a new version, and a case
keeps the version it was accepted under.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models

from . import outlines


class Department(models.Model):
    class Level(models.TextChoices):
        CITY = "city", "市级"
        DISTRICT = "district", "县(区)级"
        TOWN = "town", "乡镇(街道)级"
        VILLAGE = "village", "村(社区)级"

    code = models.CharField("部门编码", max_length=32, unique=True)
    name = models.CharField("部门名称", max_length=100)
    short_name = models.CharField("简称", max_length=30, blank=True)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name="上级")
    level = models.CharField("层级", max_length=10, choices=Level.choices, default=Level.CITY)
    functions = models.TextField("主要职能", blank=True)
    phone = models.CharField("咨询电话", max_length=40, blank=True)
    address = models.CharField("办公地点", max_length=200, blank=True)
    sort = models.PositiveIntegerField("排序", default=0)
    comprehensive = models.BooleanField("综合受理", default=False,
                                        help_text="政务服务中心的综合受理窗口，可为各部门收件受理(一窗受理)。")
    # The area a district or town serves, drawn on the statistics home page's map (catalog.outlines).
    outline = models.JSONField("辖区轮廓", null=True, blank=True, validators=[outlines.check],
                               help_text="GeoJSON 的 Polygon 或 MultiPolygon 几何对象，坐标为[经度, 纬度]；"
                                         "仅县(区)级和乡镇(街道)级部门。")

    class Meta:
        verbose_name = verbose_name_plural = "部门"
        ordering = ["sort", "code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Every path that stores an outline (admin, import, demo, code) gets the same check.
        outlines.check(self.outline)
        super().save(*args, **kwargs)

    def clean(self):
        node, seen = self.parent, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": "上级部门不能形成循环。"})
            seen.add(node.pk)
            node = node.parent
        if self.outline is not None and self.level not in outlines.NETWORK_LEVELS:
            raise ValidationError({"outline": "只有县(区)级和乡镇(街道)级部门可以设置辖区轮廓。"})

    def subtree_ids(self) -> set[int]:
        ids, frontier = {self.pk}, [self.pk]
        while frontier:
            frontier = list(Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.update(frontier)
        return ids


class Window(models.Model):
    department = models.ForeignKey(Department, models.PROTECT, related_name="windows", verbose_name="部门")
    number = models.CharField("窗口号", max_length=20, unique=True)
    name = models.CharField("窗口名称", max_length=100)
    location = models.CharField("位置", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "窗口"
        ordering = ["number"]

    def __str__(self):
        return f"{self.number} {self.name}"


class ProcedureKind(models.Model):
    """Kinds of special procedure (特别程序) that stop the clock (行政许可法 art. 45)."""

    code = models.CharField("代码", max_length=30, unique=True)
    name = models.CharField("名称", max_length=30)
    default_limit_days = models.PositiveIntegerField("默认时限(工作日)", default=20)

    class Meta:
        verbose_name = verbose_name_plural = "特别程序种类"
        ordering = ["pk"]

    def __str__(self):
        return self.name


class Item(models.Model):
    code = models.CharField("事项编码", max_length=40, unique=True)
    department = models.ForeignKey(Department, models.PROTECT, related_name="items", verbose_name="实施部门")

    class Meta:
        verbose_name = verbose_name_plural = "事项"
        ordering = ["code"]

    def __str__(self):
        current = self.current_version()
        return f"{self.code} {current.name if current else ''}"

    def current_version(self):
        return ItemVersion.objects.current_of(self).first()


# 行政许可法 art. 42: a decision within 20 working days, +10 with the head's approval;
# joint or centralised handling 45, +15.
LICENCE_LIMIT, LICENCE_EXTENSION = 20, 10
JOINT_LIMIT, JOINT_EXTENSION = 45, 15


class DeferralRule(models.TextChoices):
    """What 办结 does while a material accepted under 容缺 has not been brought (per item version)."""

    REFUSE = "refuse", "不予办结"
    FLAG = "flag", "允许办结并标记"


class ItemVersionQuerySet(models.QuerySet):
    """The one definition of an item's published (current) version, which windows receive under."""

    def published(self):
        return self.filter(ItemVersion.published_through())

    def current_of(self, item):
        """The item's published versions, the newest first (`item` may be an OuterRef).

        Publishing retires the previous version, so there is one; the order only keeps `first()`
        and a subquery's `[:1]` well defined."""
        return self.published().filter(item=item).order_by("-number")


class ItemVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        RETIRED = "retired", "已停用"

    class Type(models.TextChoices):
        LICENCE = "licence", "行政许可"
        CONFIRMATION = "confirmation", "行政确认"
        BENEFIT = "benefit", "行政给付"
        PUBLIC_SERVICE = "public_service", "公共服务"
        OTHER = "other", "其他"

    class Audience(models.TextChoices):
        PERSON = "person", "个人"
        ORGANISATION = "organisation", "法人"
        BOTH = "both", "个人和法人"

    class Publicity(models.TextChoices):
        # What the public boards (办件公示, 结果公示) show of this item's cases. A natural person is never
        # named on them: `full` names organisations and shows individuals' cases anonymously.
        FULL = "full", "公开（法人公示办件编号和名称，个人匿名）"
        ANONYMOUS = "anonymous", "匿名公示（只公示事项和日期）"
        NONE = "none", "不公示（涉及个人敏感信息）"

    class OnlineDepth(models.IntegerChoices):
        INFO = 1, "一级：网上公开办事指南"
        DOWNLOAD = 2, "二级：网上下载表格"
        APPLY = 3, "三级：网上申报、预审"
        FULL = 4, "四级：全程网办"

    item = models.ForeignKey(Item, models.PROTECT, related_name="versions", verbose_name="事项")
    number = models.PositiveIntegerField("版本号", default=1)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    name = models.CharField("事项名称", max_length=200)
    type = models.CharField("事项类型", max_length=20, choices=Type.choices, default=Type.LICENCE)
    audience = models.CharField("服务对象", max_length=20, choices=Audience.choices, default=Audience.BOTH)
    publicity = models.CharField(
        "办件公示", max_length=10, choices=Publicity.choices, default=Publicity.FULL, db_default=Publicity.FULL,
        help_text="办件公示与结果公示的范围。最低生活保障、医疗救助及涉及健康、未成年人等敏感信息的事项应选“不公示”；"
                  "自然人申请人在任何情况下都不公示姓名、证件号码和电话。")
    legal_basis = models.TextField("设定依据")
    conditions = models.TextField("申请条件", blank=True)
    statutory_limit = models.PositiveIntegerField("法定时限(工作日)", default=20)
    promised_limit = models.PositiveIntegerField("承诺时限(工作日)", default=10,
                                                 help_text="0 表示即办件，当场办结。")
    shortest_limit = models.PositiveIntegerField(
        "最短承诺时限(工作日)", default=1, db_default=1,
        help_text="绿色通道等压缩承诺时限时不得少于此数（如法定公示期、技术审查所需的最少工作日）。")
    extension_limit = models.PositiveIntegerField(
        "可延长时限(工作日)", default=10,
        help_text="经本行政机关负责人批准可延长的最多工作日(行政许可法第四十二条：一般10日，联合办理15日)。")
    joint_handling = models.BooleanField("联合办理/集中办理", default=False,
                                         help_text="行政许可法第四十二条第二款：45个工作日，可延长15日。")
    fee_basis = models.TextField("收费依据", blank=True, help_text="不收费的事项留空并勾选“不收费”。")
    free_of_charge = models.BooleanField("不收费", default=True)
    result_name = models.CharField("审批结果(证照/批文名称)", max_length=200, blank=True)
    where = models.CharField("办理地点", max_length=200, blank=True)
    office_hours = models.CharField("办理时间", max_length=200, blank=True,
                                    default="工作日 上午9:00-12:00 下午13:30-17:30")
    how_to_apply = models.TextField("办理方式", blank=True)
    online_depth = models.PositiveSmallIntegerField("网办深度", choices=OnlineDepth.choices,
                                                    default=OnlineDepth.APPLY)
    max_visits = models.PositiveSmallIntegerField("最多跑动次数", default=1)
    contact_phone = models.CharField("咨询电话", max_length=40, blank=True)
    # 容缺受理: how long the applicant has to bring a deferred material, and whether 办结 waits for it.
    deferral_days = models.PositiveIntegerField(
        "容缺材料补交时限(工作日)", default=5,
        help_text="容缺受理的材料，申请人承诺自受理之日起在此期限内补交（按工作日计算）。")
    pay_before_completion = models.BooleanField(
        "缴费后方可办结", default=True, db_default=True,
        help_text="收费事项：申请人缴清费用（或依法减免）前不予送达办结。")
    deferral_rule = models.CharField(
        "容缺材料未补齐时办结", max_length=10, choices=DeferralRule.choices, default=DeferralRule.REFUSE,
        help_text="容缺材料尚未补交时：不予办结，或允许办结但记录并纳入电子监察。")
    procedure_kinds = models.ManyToManyField(ProcedureKind, through="ItemProcedure", blank=True,
                                             verbose_name="允许的特别程序")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    objects = ItemVersionQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "事项版本"
        ordering = ["item__code", "-number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="unique_item_version")]

    def __str__(self):
        return f"{self.name}（第{self.number}版）"

    @classmethod
    def published_through(cls, path: str = "") -> models.Q:
        """Published, as a condition reached from another model (`path` e.g. "versions__")."""
        return models.Q(**{f"{path}status": cls.Status.PUBLISHED})

    @property
    def on_the_spot(self) -> bool:
        return self.promised_limit == 0

    @property
    def applies_online(self) -> bool:
        """Takes online applications (网办深度三级及以上)."""
        return self.online_depth >= self.OnlineDepth.APPLY

    @classmethod
    def audiences_for(cls, applicant_kind: str) -> tuple[str, ...]:
        """The audiences an applicant of this kind ("person" or "organisation") may apply under."""
        return (applicant_kind, cls.Audience.BOTH)

    def audience_refusal(self, applicant_kind: str) -> str:
        """Why an applicant of this kind may not apply for this item (服务对象), or "" when they may."""
        if self.audience == self.Audience.PERSON and applicant_kind != self.Audience.PERSON:
            return f"“{self.name}”仅限个人申请，法人和其他组织不能申请。"
        if self.audience == self.Audience.ORGANISATION and applicant_kind != self.Audience.ORGANISATION:
            return f"“{self.name}”仅限法人和其他组织申请，个人不能申请。"
        return ""

    @property
    def extension_bound(self) -> int:
        """The most working days the law lets the head of the organ add (art. 42)."""
        return JOINT_EXTENSION if self.joint_handling else LICENCE_EXTENSION

    def clean(self):
        errors = {}
        if self.promised_limit > self.statutory_limit:
            errors["promised_limit"] = "承诺时限不能长于法定时限。"
        if self.extension_limit is not None and self.extension_limit > self.extension_bound:
            kind = "联合办理、集中办理的" if self.joint_handling else ""
            errors["extension_limit"] = (f"可延长{self.extension_limit}个工作日超过法定上限：{kind}"
                                         f"最多延长{self.extension_bound}个工作日（行政许可法第四十二条）。")
        if self.deferral_days is not None and self.deferral_days < 1:
            errors["deferral_days"] = "容缺材料补交时限至少为1个工作日。"
        if not self.free_of_charge and not self.fee_basis.strip():
            errors["fee_basis"] = "收费事项必须写明收费依据。"
        if errors:
            raise ValidationError(errors)


class MaterialSpec(models.Model):
    class Form(models.TextChoices):
        ORIGINAL = "original", "原件"
        COPY = "copy", "复印件"
        BOTH = "both", "原件和复印件"
        ELECTRONIC = "electronic", "电子材料"

    version = models.ForeignKey(ItemVersion, models.CASCADE, related_name="materials", verbose_name="事项版本")
    seq = models.PositiveSmallIntegerField("序号", default=1)
    name = models.CharField("材料名称", max_length=200)
    required = models.BooleanField("必需", default=True)
    form = models.CharField("形式", max_length=12, choices=Form.choices, default=Form.ORIGINAL)
    copies = models.PositiveSmallIntegerField("份数", default=1)
    template = models.FileField("表格模板", upload_to="templates/", blank=True)
    deferrable = models.BooleanField("允许容缺", default=False,
                                     help_text="容缺受理：该材料可在受理后限期补交。")
    note = models.CharField("说明", max_length=300, blank=True)
    # 一证通办: the e-licence type (CertificateTemplate.type_code) that proves this material; an
    # applicant holding a valid licence of the type is not asked for it (shenpi.licences.library).
    licence_type_code = models.CharField("对应电子证照类型代码", max_length=40, blank=True, default="", db_default="",
                                         help_text="申请人已有该类型的有效电子证照时，直接引用，无需再提交。")

    class Meta:
        verbose_name = verbose_name_plural = "申请材料"
        ordering = ["version", "seq"]

    def __str__(self):
        return self.name


class FeeStandard(models.Model):
    """One fee item (收费项目) of an item version and how its amount follows from the standard: a bill's
    amounts are computed from here (shenpi.fees), never typed."""

    class Kind(models.TextChoices):
        FIXED = "fixed", "按件定额"
        PER_UNIT = "per_unit", "按数量计收"
        TIERED = "tiered", "分档累进"

    version = models.ForeignKey(ItemVersion, models.CASCADE, related_name="fees", verbose_name="事项版本")
    name = models.CharField("收费项目", max_length=200)
    standard = models.CharField("收费标准", max_length=200)
    kind = models.CharField("计费方式", max_length=10, choices=Kind.choices, default=Kind.FIXED,
                            db_default=Kind.FIXED)
    amount = models.DecimalField("金额(元)", max_digits=12, decimal_places=2, null=True, blank=True,
                                 help_text="按件定额收费时填写；按面积等计算的留空。")
    unit = models.CharField("计费单位", max_length=20, blank=True, default="", db_default="",
                            help_text="按数量或分档计收时的单位，如“平方米”。")
    unit_price = models.DecimalField("单价(元)", max_digits=12, decimal_places=2, null=True, blank=True)
    # Tiered (分档累进): [{"up_to": "1000", "price": "1.50"}, …, {"up_to": null, "price": "0.80"}],
    # each tier's price applying to the quantity within it.
    tiers = models.JSONField("分档标准", default=list, blank=True)
    basis = models.TextField("收费依据")

    class Meta:
        verbose_name = verbose_name_plural = "收费标准"

    def __str__(self):
        return self.name

    def clean(self):
        errors = fee_standard_problems(self)
        if errors:
            raise ValidationError(errors)


def _decimal(value) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def fee_standard_problems(fee: FeeStandard) -> dict[str, str]:
    """What keeps a standard from computing an amount (field → message); empty when it can.

    Each kind needs its own fields and only those, so that the bill's amount follows from the
    standard alone (shenpi.fees.standards computes it)."""
    errors: dict[str, str] = {}
    kind = fee.kind
    if kind == FeeStandard.Kind.FIXED:
        if fee.amount is None or fee.amount < 0:
            errors["amount"] = "按件定额收费须填写金额（不小于0）。"
    elif fee.amount is not None:
        errors["amount"] = "按数量或分档计收的，金额留空，由数量计算。"
    if kind == FeeStandard.Kind.PER_UNIT:
        if fee.unit_price is None or fee.unit_price <= 0:
            errors["unit_price"] = "按数量计收须填写大于0的单价。"
    elif fee.unit_price is not None:
        errors["unit_price"] = "只有按数量计收的填写单价。"
    if kind in (FeeStandard.Kind.PER_UNIT, FeeStandard.Kind.TIERED) and not fee.unit.strip():
        errors["unit"] = "按数量或分档计收须写明计费单位。"
    if kind == FeeStandard.Kind.TIERED:
        problem = _tier_problem(fee.tiers)
        if problem:
            errors["tiers"] = problem
    elif fee.tiers:
        errors["tiers"] = "只有分档累进的填写分档标准。"
    return errors


def _tier_problem(tiers) -> str:
    if not isinstance(tiers, list) or not tiers:
        return "分档累进须列出各档：[{\"up_to\": \"1000\", \"price\": \"1.50\"}, …, {\"up_to\": null, …}]。"
    previous = Decimal(0)
    for n, tier in enumerate(tiers, start=1):
        if not isinstance(tier, dict) or set(tier) - {"up_to", "price"}:
            return f"第{n}档格式不对：应为 {{\"up_to\": 上限或null, \"price\": 单价}}。"
        price = _decimal(tier.get("price"))
        if price is None or price < 0 or price != price.quantize(Decimal("0.01")):
            return f"第{n}档单价应为不小于0、至多两位小数的金额。"
        last = n == len(tiers)
        if tier.get("up_to") is None:
            if not last:
                return f"只有最后一档可以不设上限（第{n}档）。"
            continue
        if last:
            return "最后一档不设上限（up_to 为 null），以覆盖任何数量。"
        bound = _decimal(tier["up_to"])
        if bound is None or bound <= previous:
            return f"第{n}档上限应大于上一档的上限（{previous}）。"
        previous = bound
    return ""


class FlowStep(models.Model):
    """One step (环节) of an item's flow. Steps with the same seq run side by side (并联)."""

    class LimitUnit(models.TextChoices):
        DAYS = "days", "工作日"
        HOURS = "hours", "工作小时"

    version = models.ForeignKey(ItemVersion, models.CASCADE, related_name="steps", verbose_name="事项版本")
    seq = models.PositiveSmallIntegerField("顺序", default=1)
    name = models.CharField("环节名称", max_length=50)
    role = models.ForeignKey("accounts.Role", models.PROTECT, verbose_name="办理角色")
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True,
                                   verbose_name="办理部门", help_text="留空为事项的实施部门。")
    limit = models.PositiveIntegerField("时限", null=True, blank=True, help_text="留空则沿用办件时限。")
    limit_unit = models.CharField("时限单位", max_length=5, choices=LimitUnit.choices, default=LimitUnit.DAYS)

    class Meta:
        verbose_name = verbose_name_plural = "流程环节"
        ordering = ["version", "seq", "pk"]

    def __str__(self):
        return self.name


class ItemProcedure(models.Model):
    version = models.ForeignKey(ItemVersion, models.CASCADE, verbose_name="事项版本")
    kind = models.ForeignKey(ProcedureKind, models.PROTECT, verbose_name="特别程序")
    limit_days = models.PositiveIntegerField("时限(工作日)")

    class Meta:
        verbose_name = verbose_name_plural = "事项特别程序时限"
        constraints = [models.UniqueConstraint(fields=["version", "kind"], name="unique_item_procedure")]

    def __str__(self):
        return f"{self.kind.name} {self.limit_days}个工作日"


class Sessions(models.Model):
    """A day's opening as a window serves it: a morning and an afternoon session, the noon break between.

    延时服务 (`extended_until`) carries the last session on past its usual close, e.g. to 19:00.
    """

    morning_opens = models.TimeField("上午开始", null=True, blank=True)
    morning_closes = models.TimeField("上午结束", null=True, blank=True)
    afternoon_opens = models.TimeField("下午开始", null=True, blank=True)
    afternoon_closes = models.TimeField("下午结束", null=True, blank=True)
    extended_until = models.TimeField("延时服务至", null=True, blank=True,
                                      help_text="延时服务：最后一个时段延长到该时间，如 19:00。")

    class Meta:
        abstract = True

    def session_pairs(self) -> list[tuple]:
        """The filled sessions in order, the last one carried to `extended_until` when that is set."""
        pairs = [(o, c) for o, c in ((self.morning_opens, self.morning_closes),
                                     (self.afternoon_opens, self.afternoon_closes)) if o and c]
        if pairs and self.extended_until and self.extended_until > pairs[-1][1]:
            pairs[-1] = (pairs[-1][0], self.extended_until)
        return pairs

    def session_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        for half, label in (("morning", "上午"), ("afternoon", "下午")):
            opens, closes = getattr(self, f"{half}_opens"), getattr(self, f"{half}_closes")
            if (opens is None) != (closes is None):
                errors[f"{half}_closes" if closes is None else f"{half}_opens"] = f"{label}的开始和结束时间须同时填写。"
            elif opens is not None and opens >= closes:
                errors[f"{half}_closes"] = f"{label}结束时间须晚于开始时间。"
        if (not errors and self.morning_closes and self.afternoon_opens
                and self.afternoon_opens < self.morning_closes):
            errors["afternoon_opens"] = "下午开始时间不能早于上午结束时间（午间休息）。"
        last = self.afternoon_closes or self.morning_closes
        if self.extended_until and last and self.extended_until <= last:
            errors["extended_until"] = "延时服务的结束时间须晚于正常下班时间。"
        return errors


class WeeklyHours(Sessions):
    """A window's hours on one day of the week; without a window, the centre's default (中心默认办公时间).

    Monday to Friday rows apply on the calendar's working days; a Saturday or Sunday row is the
    window's weekend service (周末服务) on ordinary weekends, never on statutory holidays. A window
    with no rows of its own keeps the centre's default.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 1, "周一"
        TUESDAY = 2, "周二"
        WEDNESDAY = 3, "周三"
        THURSDAY = 4, "周四"
        FRIDAY = 5, "周五"
        SATURDAY = 6, "周六"
        SUNDAY = 7, "周日"

    window = models.ForeignKey(Window, models.CASCADE, null=True, blank=True, related_name="weekly_hours",
                               verbose_name="窗口", help_text="留空为全中心默认办公时间。")
    weekday = models.PositiveSmallIntegerField("星期", choices=Weekday.choices)
    note = models.CharField("说明", max_length=100, blank=True, help_text="如：周六上午预约服务。")

    class Meta:
        verbose_name = verbose_name_plural = "办公时间"
        ordering = ["window", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["window", "weekday"], condition=models.Q(window__isnull=False),
                                    name="unique_window_weekday_hours"),
            models.UniqueConstraint(fields=["weekday"], condition=models.Q(window__isnull=True),
                                    name="unique_centre_weekday_hours"),
        ]

    def __str__(self):
        return f"{self.window or '中心默认'} {self.get_weekday_display()}"

    def clean(self):
        errors = self.session_errors()
        if not errors and not self.session_pairs():
            errors["morning_opens"] = "请至少填写上午或下午一个时段；不办公的日子不必添加。"
        if errors:
            raise ValidationError(errors)


class HoursException(Sessions):
    """A dated change to a window's hours (or the whole centre's, without a window).

    延时服务 extends the day (its sessions, or the regular ones when left blank, to `extended_until`);
    加班/预约服务 opens a weekend or holiday day with the given sessions; 暂停服务 closes the day.
    """

    class Kind(models.TextChoices):
        EXTENDED = "extended", "延时服务"
        SERVICE = "service", "加班/预约服务"
        CLOSED = "closed", "暂停服务"

    window = models.ForeignKey(Window, models.CASCADE, null=True, blank=True, related_name="hours_exceptions",
                               verbose_name="窗口", help_text="留空为全中心。")
    day = models.DateField("日期")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "特殊办公安排"
        ordering = ["day", "window"]
        constraints = [
            models.UniqueConstraint(fields=["window", "day"], condition=models.Q(window__isnull=False),
                                    name="unique_window_day_exception"),
            models.UniqueConstraint(fields=["day"], condition=models.Q(window__isnull=True),
                                    name="unique_centre_day_exception"),
        ]

    def __str__(self):
        return f"{self.window or '全中心'} {self.day} {self.get_kind_display()}"

    def clean(self):
        errors = self.session_errors()
        filled = any((self.morning_opens, self.morning_closes, self.afternoon_opens, self.afternoon_closes))
        if self.kind == self.Kind.CLOSED and (filled or self.extended_until):
            errors["kind"] = "暂停服务的日子不填写办公时段。"
        elif self.kind == self.Kind.SERVICE and not filled:
            errors["morning_opens"] = "加班/预约服务须填写上午或下午的服务时段。"
        elif self.kind == self.Kind.EXTENDED and not self.extended_until:
            errors["extended_until"] = "延时服务须填写延时到几点。"
        if errors:
            raise ValidationError(errors)
