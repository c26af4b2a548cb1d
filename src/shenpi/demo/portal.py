"""The public side of the demo: applicant accounts, online applications, appointments, feedback.

Played after the year of cases, over the last weeks before `end`, through the services of each
app (shenpi.applicants, shenpi.online, shenpi.appointments, shenpi.feedback) as the applicant or
the member of staff each step belongs to, with shenpi.clock set to the moment. Some things are
left late on purpose, so the final supervision scan shows them: an application waiting past its
pre-review date, a complaint past its answer date, a bad rating not followed up in time.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import struct
import zlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db.models import Count
from django.utils import timezone

from shenpi import clock
from shenpi.accounts import identifiers
from shenpi.accounts.models import User
from shenpi.applicants import services as applicants
from shenpi.applicants.models import Applicant
from shenpi.appointments import services as appointments
from shenpi.appointments.models import Booking, Slot
from shenpi.cases.models import ApplicantKind, Case, State
from shenpi.catalog.models import Item, ItemVersion, MaterialSpec, Window
from shenpi.errors import ServiceError
from shenpi.feedback import services as feedback
from shenpi.feedback.models import Complaint, Level, Question, Rating, RatingFollowUp
from shenpi.notifications.models import Notification
from shenpi.online import services as online
from shenpi.online.models import OnlineApplication
from shenpi.workdays.services import get_calendar

from . import people
from .catalogue import ALL_ITEMS, CODE_PREFIX, item_codes

Status = OnlineApplication.Status

# Working days ahead (today included when it is one) for which the windows publish slots.
SLOT_DAYS = 10
SLOT_MINUTES = 30
# (department, places per slot): busy departments take more people per slot.
APPOINTMENT_DEPARTMENTS = (("shichang", 3), ("zhujian", 2), ("gongan", 3), ("renshe", 2), ("shuiwu", 2))
BOOKINGS = 24
# Completed cases of the last RATED_DAYS days get a rating with this chance.
RATED_DAYS = 45
RATED_SHARE = 0.45


# -- identities ------------------------------------------------------------------------------------

def find_demo_applicants() -> list[tuple[people.DemoApplicant, Applicant]]:
    """The demo applicant accounts that exist, in the order of people.demo_applicants()."""
    found = []
    for data in people.demo_applicants():
        applicant = applicants.find_applicant(data.id_number)
        if applicant is not None:
            found.append((data, applicant))
    return found


def portal_exists() -> bool:
    return bool(find_demo_applicants())


# -- small real files ------------------------------------------------------------------------------

def pdf_file(title: str, owner: str) -> bytes:
    """A one-page A4 PDF with the material's name on it, as a scanner would give."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from shenpi.fonts import cjk_font_name

    font = cjk_font_name()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(title)
    page.setFont(font, 18)
    page.drawCentredString(A4[0] / 2, 760, title)
    page.setFont(font, 11)
    page.drawString(72, 720, f"申请人：{owner}")
    page.drawString(72, 700, "（演示数据：内容为示意）")
    page.rect(72, 160, A4[0] - 144, 500)
    page.showPage()
    page.save()
    return buffer.getvalue()


def png_file(width: int = 160, height: int = 100, rgb: tuple[int, int, int] = (228, 236, 246)) -> bytes:
    """A small plain PNG (a photographed certificate stands in as a tinted card)."""
    row = b"\x00" + bytes(rgb) * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(row * height))
            + chunk(b"IEND", b""))


def material_file(spec: MaterialSpec, owner: str, version: int = 1) -> ContentFile:
    suffix = "" if version == 1 else "（补正）"
    if any(word in spec.name for word in ("身份证", "照片", "户口簿")):
        return ContentFile(png_file(rgb=(228, 236, 246) if version == 1 else (236, 244, 232)),
                           name=f"{spec.name}{suffix}.png")
    return ContentFile(pdf_file(spec.name + suffix, owner), name=f"{spec.name}{suffix}.pdf")


# -- the script ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Script:
    """One online application: who, which item, how far it got, and on which working day (k days back)."""

    who: str
    item: str
    outcome: str  # draft, submitted, correcting, accepted, refused; "corrected" = accepted after a correction
    days_back: int
    title: str
    description: str = ""
    reason: str = ""


SCRIPTS = (
    Script("person", "教师资格认定", "draft", 1, "申请认定小学语文教师资格"),
    Script("developer", "城镇污水排入排水管网许可", "draft", 2, "青山路C-12地块商业综合体项目排水许可"),
    Script("restaurant", "户外广告设置审批", "draft", 1, "东湖路店门头户外招牌设置"),
    Script("person", "社会保障卡申领", "submitted", 0, "申领第三代社会保障卡"),
    Script("restaurant", "企业变更登记", "submitted", 1, "变更住所及经营范围",
           "公司住所由东湖片区迁至滨河新城，经营范围增加预包装食品销售。"),
    # Waiting past its pre-review date: the supervision scan raises proc.prereview_late for it.
    Script("developer", "建设工程消防设计审查", "submitted", 5, "青山路C-12地块商业综合体项目消防设计审查"),
    Script("developer", "建筑工程施工许可证核发", "correcting", 3, "青山路C-12地块商业综合体项目施工许可"),
    Script("restaurant", "公共场所卫生许可", "correcting", 2, "东湖路店公共场所卫生许可"),
    Script("person", "户口迁移(市内迁入)", "corrected", 7, "户口由城东区迁入滨河区",
           "本人购房后随迁，现住址为滨河区柳林街道。"),
    Script("developer", "建设工程规划许可证核发", "accepted", 10, "青山路C-12地块商业综合体项目建设工程规划许可"),
    Script("restaurant", "食品经营许可", "accepted", 4, "东湖路店食品经营许可（餐饮服务）"),
    Script("person", "医师执业注册", "refused", 5, "医师首次执业注册",
           reason="经预审，申请注册的执业地点位于外省，不属于本机关管辖，请向执业地所在县级以上卫生健康主管部门申请。"),
    Script("developer", "不动产抵押权登记", "refused", 6, "柳林街道商业用房抵押权登记",
           reason="经预审，申请登记的不动产不在本登记机构辖区内，请向不动产所在地不动产登记机构申请。"),
)

CORRECTION_PROBLEMS = ("扫描件不清晰，部分页面缺失，请上传完整、清晰的彩色扫描件。",
                       "未加盖单位公章，请盖章后重新扫描上传。")

# Questions the public asks about particular items, with the department's answer.
TAILORED_QUESTIONS = {
    "企业设立登记": ("企业名称需要先到窗口预先核准吗？",
                "不需要。企业名称实行自主申报，在网上申报企业设立登记时一并填报，系统自动比对，无需单独办理名称预先核准。"),
    "不动产抵押权登记": ("办理抵押登记，抵押人和银行都要到窗口吗？",
                  "抵押权登记由抵押人和抵押权人共同申请。抵押权人为银行的，可由银行通过“不动产登记+金融服务”线上提交，"
                  "抵押人在银行网点签署材料即可，无需到登记窗口。"),
    "户口迁移(市内迁入)": ("集体户口可以迁入配偶的家庭户吗？",
                   "可以。市内集体户口人员与配偶登记结婚的，凭结婚证和配偶户口簿即可申请迁入配偶家庭户，无需另行提供住房证明。"),
    "食品经营许可": ("只在网上销售预包装食品，还要办食品经营许可吗？",
               "仅销售预包装食品的，实行备案管理，不需要取得食品经营许可，在网上完成备案即可；销售散装食品或提供餐饮服务的仍需许可。"),
    "社会保障卡申领": ("社会保障卡丢了怎么补办？",
                "可通过网上申报或到人社局窗口办理挂失补领，挂失后原卡立即停用；补领的新卡制作完成后短信通知领取，也可选择邮寄。"),
    "建筑工程施工许可证核发": ("分期建设的项目可以分期申领施工许可证吗？",
                    "可以。已取得建设工程规划许可证并确定分期建设的项目，可按规划许可确定的期次分别申领施工许可证。"),
}
OPEN_QUESTIONS = (
    ("建筑工程施工许可证核发", "工程总造价不到100万元，还需要申请施工许可证吗？"),
    ("食品经营许可", "食品经营许可证到期了，延续要提前多久申请？"),
)
GOOD_COMMENTS = ("办事效率高，一次就办好了。", "窗口工作人员很耐心，讲得很清楚。", "网上申报很方便，不用来回跑。",
                 "比预计时间提前办完了。", "材料一次性告知，很清楚。", "", "", "", "服务热情，点赞！", "")
WINDOW_COMMENTS = ("取号后很快就叫到了。", "工作人员态度很好。", "", "帮我把表格填好了，谢谢。", "")


class PortalPlayer:
    def __init__(self, end: dt.datetime, seed: int, password: str, result):
        self.end = end
        self.today = timezone.localdate(end)
        self.calendar = get_calendar()
        self.rng = random.Random(seed + 4)
        self.password = password
        self.result = result
        self.staff = {u.username: u for u in User.objects.filter(
            username__in=[a.username for a in people.accounts()]).select_related("department")}
        codes = item_codes()
        by_code = {i.code: i for i in Item.objects.filter(code__in=codes.values()).select_related("department")}
        self.items: dict[str, Item] = {}
        self.slugs: dict[int, str] = {}
        for index, data in enumerate(ALL_ITEMS):
            item = by_code[codes[index]]
            self.items.setdefault(data.name, item)
            self.slugs[item.department_id] = data.dept
        self.weights = {data.name: data.weight for data in ALL_ITEMS}

    # -- time ----------------------------------------------------------------------------------------
    def workday(self, days_back: int) -> dt.date:
        """The working day `days_back` working days before today (0: today)."""
        day = self.today
        while days_back > 0:
            day -= dt.timedelta(days=1)
            if self.calendar.is_workday(day):
                days_back -= 1
        return day

    def at(self, days_back: int, hour: int, minute: int = 0) -> dt.datetime:
        moment = timezone.make_aware(dt.datetime.combine(self.workday(days_back), dt.time(hour, minute)))
        return min(moment, self.end - dt.timedelta(minutes=5))

    def set(self, moment: dt.datetime) -> None:
        clock.set_now(min(moment, self.end))

    def member(self, department_id: int, role: str) -> User:
        return self.staff[f"{self.slugs[department_id]}_{role}"]

    def fail(self, what: str, error: ServiceError) -> None:
        self.result.failures.append(f"{what} @ {timezone.localtime(clock.now()):%Y-%m-%d %H:%M}: {error.message}")

    # -- the whole -----------------------------------------------------------------------------------
    def play(self) -> None:
        accounts = self.applicants()
        if accounts:
            self.applications(accounts)
        self.appointments(accounts.get("person"))
        self.questions()
        self.complaints()
        self.ratings()

    # -- applicant accounts --------------------------------------------------------------------------
    def applicants(self) -> dict[str, Applicant]:
        accounts = {}
        for n, data in enumerate(people.demo_applicants()):
            self.set(self.at(40 - 5 * n, 20, 15))
            try:
                applicant = applicants.register(applicants.Registration(
                    kind=data.kind, name=data.name, id_number=data.id_number, mobile=data.mobile,
                    password=self.password, contact_name=data.contact_name))
                self.set(clock.now() + dt.timedelta(minutes=1))
                applicant = applicants.verify_registration(applicant, self.code_sent_to(applicant))
                self.set(clock.now() + dt.timedelta(minutes=20))
                self.verify_at_window(applicant, data)
            except ServiceError as error:
                self.fail(f"申请人账号 {data.name}", error)
                continue
            accounts[data.key] = applicant
            self.result.created["applicants"] += 1
        return accounts

    def verify_at_window(self, applicant: Applicant, data: people.DemoApplicant) -> None:
        """实名认证 at the window: the clerk has seen the identity card (and the company's licence)."""
        clerk = next(user for key, user in sorted(self.staff.items()) if key.endswith("_clerk"))
        if data.kind == ApplicantKind.PERSON:
            applicants.window_verify(applicant, staff=clerk, name=data.name, id_number=data.id_number)
        else:
            applicants.window_verify(applicant, staff=clerk, name=data.contact_name, id_number=data.representative_id,
                                     role="legal_representative", representative=data.contact_name)

    @staticmethod
    def code_sent_to(applicant: Applicant) -> str:
        """The code as the applicant reads it in the SMS."""
        # Still queued inside the demo's transaction: its sealed text is the SMS as the phone gets it.
        message = (Notification.objects.filter(template="mobile_code", topic=f"applicant:{applicant.pk}",
                                               channel=Notification.Channel.SMS).order_by("-pk").first())
        body = message.outgoing_body() if message else ""
        found = re.search(rf"\d{{{applicants.CODE_DIGITS}}}", body)
        return found.group(0) if found else ""

    # -- online applications -------------------------------------------------------------------------
    def applications(self, accounts: dict[str, Applicant]) -> None:
        for script in SCRIPTS:
            applicant = accounts.get(script.who)
            if applicant is None:
                continue
            try:
                self.application(applicant, script)
            except ServiceError as error:
                self.fail(f"网上申报 {script.item}", error)
                continue
            self.result.created["applications"] += 1

    def application(self, applicant: Applicant, script: Script) -> None:
        item = self.items[script.item]
        hour = 9 + script.days_back % 7
        ip = f"223.104.{10 + script.days_back}.{20 + len(script.item)}"
        started = self.at(script.days_back, hour, 5)
        self.set(started - dt.timedelta(hours=2) if script.days_back == 0 else started)
        app = online.start(applicant, item, ip=ip)
        online.save_draft(applicant, app, title=script.title, contact_name=applicant.contact_name,
                          description=script.description)
        specs = list(app.version.materials.order_by("seq", "pk"))
        wanted = [s for s in specs if s.required and not s.deferrable] + [s for s in specs if not s.required][:1]
        if script.outcome == "draft":
            wanted = wanted[:2]  # saved half way
        for n, spec in enumerate(wanted):
            self.set(clock.now() + dt.timedelta(minutes=2 + n))
            online.add_upload(applicant, app, spec.pk, material_file(spec, applicant.name))
        if script.outcome == "draft":
            return
        self.set(clock.now() + dt.timedelta(minutes=6))
        # The materials allowed 容缺 are left to follow after acceptance, on the applicant's commitment.
        online.submit(applicant, app, ip=ip, commitment=True)
        if script.outcome == "submitted":
            return
        clerk = self.member(item.department_id, "clerk")
        decided = self.at(max(script.days_back - 1, 0), 10, 30) if script.outcome in ("correcting", "corrected") \
            else clock.now() + dt.timedelta(hours=3)
        self.set(decided)
        clerk_ip = f"10.20.{clerk.pk // 250}.{clerk.pk % 250 + 2}"
        if script.outcome == "refused":
            online.refuse(app, clerk, script.reason, ip=clerk_ip)
            return
        if script.outcome == "accepted":
            online.accept(app, clerk, ip=clerk_ip)
            return
        listed = wanted[:2]
        online.request_correction(app, clerk, [{"spec": s.pk, "problem": p} for s, p in
                                               zip(listed, CORRECTION_PROBLEMS, strict=False)],
                                  note="请按以上要求一次性补正后重新提交。", ip=clerk_ip)
        if script.outcome == "correcting":
            return
        self.set(clock.now() + dt.timedelta(hours=5))
        for spec in listed:
            online.add_upload(applicant, app, spec.pk, material_file(spec, applicant.name, version=2))
        online.submit(applicant, app, ip=ip, commitment=True)
        self.set(self.at(max(script.days_back - 2, 0), 9, 40))
        online.accept(app, clerk, ip=clerk_ip)

    # -- appointments --------------------------------------------------------------------------------
    def appointments(self, person: Applicant | None) -> None:
        first = self.today
        last = self.calendar.add(self.today, SLOT_DAYS - (1 if self.calendar.is_workday(self.today) else 0))
        published = self.at(1, 16, 0)
        windows = []
        for slug, capacity in APPOINTMENT_DEPARTMENTS:
            clerk = self.staff[f"{slug}_clerk"]
            for window in Window.objects.filter(department_id=clerk.department_id).order_by("number"):
                self.set(published)
                made = appointments.publish(window=window, first=first, last=last, every=SLOT_MINUTES,
                                            capacity=capacity, actor=clerk)
                self.result.created["slots"] += made.created
                windows.append((window, clerk))
        if not windows:
            return
        moment = published + dt.timedelta(minutes=20)
        bookings = []
        for n in range(BOOKINGS):
            window, clerk = windows[n % len(windows)]
            moment += dt.timedelta(minutes=self.rng.randint(3, 25))
            booking = self.book(window, moment, self.visitor())
            if booking is not None:
                bookings.append((booking, clerk))
        if person is not None:
            gongan = [(w, c) for w, c in windows if self.slugs.get(w.department_id) == "gongan"]
            if gongan:
                who = appointments.Person(person.name, person.id_number, person.mobile)
                booking = self.book(gongan[0][0], moment + dt.timedelta(minutes=30), who, "户口迁移(市内迁入)",
                                    day_index=1)
                if booking is not None:
                    bookings.append((booking, gongan[0][1]))
        self.finish_bookings(bookings)

    def visitor(self) -> appointments.Person:
        return appointments.Person(people.person_name(self.rng), people.id_number(self.rng), people.mobile(self.rng))

    def book(self, window: Window, moment: dt.datetime, who: appointments.Person, item_name: str | None = None,
             day_index: int | None = None) -> Booking | None:
        self.set(moment)
        items = [name for name, item in self.items.items() if item.department_id == window.department_id]
        name = item_name or self.rng.choices(items, weights=[self.weights[i] for i in items])[0]
        days = sorted({timezone.localdate(s) for s in Slot.objects.filter(window=window, start__gt=moment)
                       .values_list("start", flat=True)})[:5]
        if not days:
            return None
        # Today and tomorrow are the busiest.
        day = days[day_index if day_index is not None and day_index < len(days) else
                   min(int(self.rng.expovariate(0.8)), len(days) - 1)]
        begin = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        free = list(appointments.open_slots(moment).filter(window=window, start__gte=begin,
                                                           start__lt=begin + dt.timedelta(days=1)))
        if not free:
            return None
        try:
            booking = appointments.book(slot_id=self.rng.choice(free).pk, item=self.items[name], person=who,
                                           trusted=True)
        except ServiceError as error:
            self.fail(f"预约 {name}", error)
            return None
        self.result.created["bookings"] += 1
        return booking

    def finish_bookings(self, bookings: list[tuple[Booking, User]]) -> None:
        """One booking was cancelled; today's bookings whose time has come were marked by the window."""
        if len(bookings) > 3:
            booking, _ = bookings[2]
            self.set(booking.created_at + dt.timedelta(minutes=40))
            appointments.cancel(booking)
        self.set(self.end)
        passed = [(b, c) for b, c in bookings if b.status == Booking.Status.BOOKED and b.day == self.today
                  and b.slot.start <= self.end]
        for n, (booking, clerk) in enumerate(passed):
            outcome = Booking.Status.NO_SHOW if n == 1 else Booking.Status.ATTENDED
            appointments.mark(booking, outcome, actor=clerk)

    # -- consultation --------------------------------------------------------------------------------
    def questions(self) -> None:
        for n, (name, (question, answer)) in enumerate(TAILORED_QUESTIONS.items()):
            item = self.items[name]
            version = item.current_version()
            asked = [(question, answer), *self.catalogue_answers(version)[n % 2::2]]
            for m, (text, reply) in enumerate(asked):
                back = 6 + 3 * n + 2 * m
                self.set(self.at(back, 10 + m, 12 + n))
                row = feedback.ask(item, question=text, name=people.person_name(self.rng),
                                   contact=people.mobile(self.rng))
                self.set(self.at(back - 1, 15, 20))
                feedback.answer_question(row, actor=self.member(item.department_id, "liaison"), answer=reply,
                                         publish=True)
                self.result.created["questions"] += 1
        for n, (name, text) in enumerate(OPEN_QUESTIONS):
            self.set(self.at(n, 8, 40) - dt.timedelta(hours=n))
            feedback.ask(self.items[name], question=text, name=people.person_name(self.rng))
            self.result.created["questions"] += 1

    @staticmethod
    def catalogue_answers(version: ItemVersion) -> list[tuple[str, str]]:
        """What people ask about any item, answered from its guide."""
        forms = dict(MaterialSpec.Form.choices)
        materials = []
        for n, spec in enumerate(version.materials.order_by("seq", "pk"), start=1):
            form = forms.get(spec.form, spec.form)
            note = "" if spec.required else "（如有）"
            note += "，可容缺后补" if spec.deferrable else ""
            materials.append(f"{n}.{spec.name}（{form}{spec.copies}份）{note}")
        limit = ("该事项为即办件，材料齐全、符合法定形式的，窗口当场办结。" if version.promised_limit == 0 else
                 f"法定办结时限{version.statutory_limit}个工作日，承诺{version.promised_limit}个工作日内办结，"
                 "自受理之日起计算；依法需要听证、检验检测、专家评审的时间不计算在内。")
        fees = "不收费。" if version.free_of_charge else f"收费，标准依据：{version.fee_basis}。"
        online_text = {4: "可以全程网办：在本网站“网上申报”提交，结果邮寄或以电子证照送达，无需到窗口。",
                       3: "可以网上申报：预审通过后，带原件到窗口核验一次即可。"}.get(
            version.online_depth, "暂不支持网上申报，请到窗口办理；可先在本网站预约。")
        return [(f"办理{version.name}需要准备哪些材料？", "需提交以下材料：" + "；".join(materials) + "。"),
                (f"{version.name}多长时间能办好？", limit),
                (f"{version.name}收费吗？", fees),
                ("可以在网上办理吗？", online_text)]

    # -- complaints ----------------------------------------------------------------------------------
    def complaints(self) -> None:
        cases = demo_cases().filter(state__in=[State.IN_PROGRESS, State.COMPLETED],
                                    received_at__lt=self.at(16, 9)).order_by("-received_at")
        case = cases.first()
        if case is not None:
            self.set(self.at(15, 14, 20))
            complaint = self.file(feedback.ComplaintInput(
                subject=Complaint.Subject.CASE, case_number=case.number, complainant=people.person_name(self.rng),
                mobile=people.mobile(self.rng),
                content="受理时窗口要求另外提供房屋租赁合同公证书，办事指南里没有这项材料，来回跑了两趟。"))
            self.set(self.at(12, 11, 0))
            feedback.answer_complaint(complaint, actor=self.member(case.department_id, "liaison"), answer=(
                "经核查，该材料不属于办事指南所列材料，窗口人员要求提供不当，已对其批评教育并在科室通报；"
                "您的申请已按原材料受理。感谢您的监督。"))
        shichang = Window.objects.filter(department_id=self.items["企业设立登记"].department_id).order_by("number")
        if shichang.exists():
            self.set(self.at(1, 11, 45))
            self.file(feedback.ComplaintInput(
                subject=Complaint.Subject.WINDOW, window_id=shichang.first().pk,
                complainant=people.person_name(self.rng), mobile=people.mobile(self.rng),
                content="上午十点到市场监管局窗口，排队近一个小时，只开了一个窗口，希望高峰时段增开窗口。"))
        # Past its answer date and still open: the supervision scan raises service.complaint_late.
        self.set(self.at(13, 16, 10))
        self.file(feedback.ComplaintInput(
            subject=Complaint.Subject.PERSON, person="户籍窗口工作人员",
            department_id=self.items["户口迁移(市内迁入)"].department_id,
            complainant=people.person_name(self.rng), mobile=people.mobile(self.rng),
            content="咨询户口迁移需要哪些材料时，工作人员态度生硬，没有一次性说清楚，让我自己去网上查。"))

    def file(self, data: feedback.ComplaintInput) -> Complaint:
        complaint = feedback.file_complaint(data)
        self.result.created["complaints"] += 1
        return complaint

    # -- ratings -------------------------------------------------------------------------------------
    def ratings(self) -> None:
        completed = list(demo_cases().filter(state=State.COMPLETED, completed_at__gte=self.end - dt.timedelta(
            days=RATED_DAYS)).order_by("completed_at", "pk"))
        used: set[int] = set()
        bad = (
            # (rated k working days back, level, reason, what the department did)
            (12, Level.DISSATISFIED, "窗口要求补交的材料前后说法不一，多跑了一趟。", "done"),
            (8, Level.VERY_DISSATISFIED, "承诺时限内没有办完，打电话催问也没人说清原因。", "untouched"),
            (2, Level.DISSATISFIED, "证照领取只能工作日到窗口，希望能邮寄。", "visited"),
        )
        for back, level, reason, handled in bad:
            moment = self.at(back, 10, 30)
            choice = next((c for c in reversed(completed) if c.pk not in used
                           and c.completed_at < moment - dt.timedelta(hours=2)), None)
            if choice is None:
                continue
            used.add(choice.pk)
            self.set(moment)
            rating = self.rate(choice, level, "", reason)
            self.follow_up(rating, back, handled)
        for case in completed:
            if case.pk in used or self.rng.random() > RATED_SHARE:
                continue
            moment = case.completed_at + dt.timedelta(hours=self.rng.randint(1, 60))
            if moment >= self.end:
                continue
            self.set(moment)
            level = self.rng.choices((Level.VERY_SATISFIED, Level.SATISFIED, Level.BASIC), weights=(55, 35, 10))[0]
            self.rate(case, level, self.rng.choice(GOOD_COMMENTS) if level != Level.BASIC else "", "")
        windows = list(Window.objects.filter(department__code__startswith=CODE_PREFIX, staff__isnull=False)
                       .distinct().order_by("number")[:6])
        for n, window in enumerate(windows):
            self.set(self.at(n + 1, 10 + n, 25))
            level = Level.BASIC if n == 3 else self.rng.choice((Level.VERY_SATISFIED, Level.SATISFIED))
            feedback.rate_window(window, feedback.RatingInput(level=level, comment=self.rng.choice(WINDOW_COMMENTS)))
            self.result.created["ratings"] += 1

    def rate(self, case: Case, level: int, comment: str, reason: str) -> Rating:
        person = case.applicant_kind == ApplicantKind.PERSON
        rating = feedback.rate_case(case, feedback.RatingInput(
            level=level, comment=comment, reason=reason,
            rater_name=case.applicant_name if person else case.contact_name, rater_mobile=_mobile_or_nothing(
                case.contact_phone)))
        self.result.created["ratings"] += 1
        return rating

    def follow_up(self, rating: Rating, back: int, handled: str) -> None:
        """差评整改: done in time, visited and under way, or left untouched past its due date."""
        if handled == "untouched":
            return
        task = RatingFollowUp.objects.get(rating=rating)
        liaison = self.member(rating.department_id, "liaison")
        self.set(self.at(max(back - 1, 0), 9, 50))
        feedback.record_visit(task, actor=liaison, note="已电话回访申请人，核实情况属实，向申请人致歉并说明改进措施。")
        if handled == "done":
            self.set(self.at(max(back - 2, 0), 16, 0))
            feedback.record_outcome(task, actor=liaison, outcome=RatingFollowUp.Outcome.FIX_NOW,
                                    note="已统一窗口补正告知口径，补正告知单由科长复核后出具；对相关人员进行了提醒谈话。")


def _mobile_or_nothing(phone: str) -> str:
    try:
        return identifiers.validate_mobile(phone or "")
    except identifiers.IdentifierError:
        return ""


def demo_cases():
    return Case.objects.filter(department__code__startswith=CODE_PREFIX)


# -- what there is --------------------------------------------------------------------------------

def summary(today: dt.date | None = None) -> dict[str, str]:
    """One line per capability: what the public side of the demo holds today."""
    today = today or clock.today()
    accounts = find_demo_applicants()
    apps = OnlineApplication.objects.filter(department__code__startswith=CODE_PREFIX)
    states = dict(apps.order_by().values_list("status").annotate(n=Count("pk")))
    slots = Slot.objects.filter(window__department__code__startswith=CODE_PREFIX, start__date__gte=today)
    days = {timezone.localdate(start) for start in slots.values_list("start", flat=True)}
    bookings = Booking.objects.filter(window__department__code__startswith=CODE_PREFIX)
    questions = Question.objects.filter(department__code__startswith=CODE_PREFIX)
    complaints = Complaint.objects.filter(department__code__startswith=CODE_PREFIX)
    ratings = Rating.objects.filter(department__code__startswith=CODE_PREFIX)
    late_follow_ups = RatingFollowUp.objects.filter(rating__in=ratings, done_at__isnull=True, due__lt=today)
    return {
        "申请人账号": f"{len(accounts)}",
        "网上申报": "，".join(f"{label} {states.get(value, 0)}" for value, label in Status.choices),
        "预约": f"时段 {slots.count()}（{len(days)} 天），"
                f"预约 {bookings.count()}（今日 {bookings.filter(day=today).count()}）",
        "咨询": f"{questions.count()}（已公开 {questions.filter(published=True).count()}，"
                f"待答复 {questions.filter(answered_at__isnull=True).count()}）",
        "投诉": f"{complaints.count()}（待答复 {complaints.filter(status=Complaint.Status.OPEN).count()}，"
                f"逾期 {complaints.filter(status=Complaint.Status.OPEN, answer_due__lt=today).count()}）",
        "好差评": f"{ratings.count()}（差评 {ratings.filter(level__lte=Level.DISSATISFIED).count()}，"
                  f"整改逾期 {late_follow_ups.count()}）",
    }


