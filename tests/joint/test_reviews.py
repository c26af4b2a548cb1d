"""网上联审: the lead opens a room on a stage or a case with PDF drawings, invited departments post one
opinion each and mark the drawings, the lead concludes and prints the 联审意见书."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from reportlab.lib.pagesizes import A3, landscape
from reportlab.pdfgen import canvas

from shenpi import clock
from shenpi.cases import files
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.joint import reviews
from shenpi.joint.models import Annotation, JointReview, ReviewInvitation, SharedMaterial
from shenpi.joint.review_pdf import render_review
from shenpi.notifications.models import Notification
from shenpi.workdays.services import get_calendar
from tests import factories as f


def drawing(name="总平面图.pdf", pages=2) -> SimpleUploadedFile:
    """A small landscape A3 drawing set as a designer exports it."""
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=landscape(A3))
    for number in range(1, pages + 1):
        sheet.rect(60, 60, 1000, 700)
        sheet.drawString(80, 780, f"Site plan sheet {number}")
        sheet.showPage()
    sheet.save()
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _open(world, stage=None, **kw):
    stage = stage or world.open()
    lead = world.people[0]
    kw.setdefault("title", "城西科创中心一期总平面图联合审查")
    kw.setdefault("departments", world.departments[1:])
    kw.setdefault("limit_days", 3)
    kw.setdefault("documents", [drawing()])
    return reviews.open_review(lead["handler"], stage=stage, **kw)


def test_the_lead_opens_a_review_with_a_working_day_deadline_and_invites_by_email(world):
    for people in world.people[1:]:
        for role in ("liaison", "approver"):
            people[role].email = f"{people[role].username}@example.gov.cn"
            people[role].save()
    review = _open(world)
    assert review.number.startswith("LS") and len(review.number) == 16
    assert review.lead_department == world.departments[0]
    assert review.due_on == get_calendar().add(timezone.localdate(review.opened_at), 3)
    assert [i.department for i in review.invitations.order_by("pk")] == world.departments[1:]
    document = review.documents.get()
    assert (document.pages, document.name) == (2, "总平面图.pdf")
    assert [round(v) for v in document.page_sizes[0]] == [round(v) for v in landscape(A3)]
    told = Notification.objects.filter(template="joint_review_invited")
    assert {n.recipient for n in told} == {p[r] for p in world.people[1:] for r in ("liaison", "approver")}
    assert all(n.channel == Notification.Channel.EMAIL and review.number in n.body for n in told)
    assert world.departments[0].name in told[0].body


def test_only_the_lead_department_or_the_administrator_opens_a_review(world):
    stage = world.open()
    with pytest.raises(Forbidden):
        reviews.open_review(world.people[1]["approver"], stage=stage, title="联审", departments=world.departments[2:],
                            limit_days=3)
    review = reviews.open_review(world.admin, stage=stage, title="联审", departments=world.departments[1:],
                                 limit_days=3)
    assert review.lead_department == world.departments[0]


def test_a_review_on_a_case_is_led_by_the_case_department(world):
    stage = world.open()
    case = stage.parts.get(department=world.departments[2]).case
    with pytest.raises(Forbidden):
        reviews.open_review(world.people[0]["handler"], case=case, title="环评联审",
                            departments=[world.departments[0]], limit_days=2)
    review = reviews.open_review(world.people[2]["handler"], case=case, title="环评联审",
                                 departments=[world.departments[0]], limit_days=2)
    assert review.lead_department == world.departments[2] and review.stage is None


@pytest.mark.parametrize(("change", "field"), [
    ({"title": "  "}, "title"),
    ({"limit_days": 0}, "limit_days"),
    ({"limit_days": "五"}, "limit_days"),
    ({"limit_days": 31}, "limit_days"),
    ({"departments": []}, "departments"),
])
def test_bad_review_details_are_refused_with_the_field_named(world, change, field):
    with pytest.raises(InvalidInput) as refused:
        _open(world, **change)
    assert field in refused.value.fields
    assert not JointReview.objects.exists()


def test_the_lead_does_not_invite_itself(world):
    with pytest.raises(InvalidInput) as refused:
        _open(world, departments=world.departments)
    assert "牵头部门" in refused.value.fields["departments"][0]


def test_drawings_are_pdf_only_by_content(world):
    scan = SimpleUploadedFile("总平面图.pdf", f.PNG_SCAN, content_type="application/pdf")  # a PNG named .pdf
    with pytest.raises(InvalidInput) as refused:
        _open(world, documents=[scan])
    assert "只接受PDF" in refused.value.fields["documents"][0]
    with pytest.raises(InvalidInput) as refused:
        _open(world, documents=[SimpleUploadedFile("坏.pdf", b"%PDF-1.7 broken")])
    assert "documents" in refused.value.fields
    assert not JointReview.objects.exists()


def test_the_stage_s_shared_drawings_are_reviewed_without_uploading_them_again(world):
    stage = world.open()
    stored = files.store(files.inspect(drawing("总平面图.pdf", pages=3)), folder="stages")
    plan = SharedMaterial.objects.create(stage=stage, name="建设工程设计方案总平面图", file=stored.path,
                                         file_name=stored.name, content_hash=stored.digest,
                                         content_type=stored.content_type, size=stored.size, pages=stored.pages)
    scan = stage.shared_materials.exclude(pk=plan.pk).first()  # a PNG scan
    with pytest.raises(InvalidInput) as refused:
        _open(world, stage=stage, documents=[], shared=[scan])
    assert "不是PDF" in refused.value.fields["shared"][0]
    review = _open(world, stage=stage, documents=[drawing("立面图.pdf", pages=1)], shared=[plan])
    shown = {d.name: d for d in review.documents.all()}
    assert set(shown) == {"立面图.pdf", "总平面图.pdf"}
    assert shown["总平面图.pdf"].pages == 3 and shown["总平面图.pdf"].file.name == plan.file.name
    assert len(shown["总平面图.pdf"].page_sizes) == 3


def test_each_department_posts_one_opinion_and_revises_it_until_the_conclusion(world):
    review = _open(world)
    planner = world.people[1]["handler"]
    with pytest.raises(InvalidInput) as refused:
        reviews.post_opinion(planner, review, "disagree", "")
    assert "opinion" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        reviews.post_opinion(planner, review, "maybe", "…")
    assert "verdict" in refused.value.fields
    first = reviews.post_opinion(planner, review, "conditional", "退让道路红线不足5米，请调整。")
    posted_at = first.posted_at
    clock.set_now(posted_at + dt.timedelta(hours=1))
    revised = reviews.post_opinion(world.people[1]["approver"], review, "agree", "")
    assert ReviewInvitation.objects.filter(review=review, department=world.departments[1]).count() == 1
    assert (revised.verdict, revised.opinion, revised.posted_at) == ("agree", "同意。", posted_at)
    assert revised.revised_at == posted_at + dt.timedelta(hours=1)
    with pytest.raises(Forbidden):  # the lead is not invited
        reviews.post_opinion(world.people[0]["handler"], review, "agree", "")
    with pytest.raises(Forbidden):  # nor is the comprehensive window
        reviews.post_opinion(world.clerk, review, "agree", "")
    reviews.conclude(world.people[0]["approver"], review, "原则同意，按各部门意见修改后报批。")
    with pytest.raises(TransitionRefused):
        reviews.post_opinion(planner, review, "disagree", "改主意了。")


def test_marks_stay_within_the_page_and_come_from_the_room(world):
    review = _open(world)
    document = review.documents.get()
    author = world.people[2]["handler"]
    for page, x, y, field in ((0, 0.5, 0.5, "page"), (3, 0.5, 0.5, "page"), (1, -0.1, 0.5, "x"),
                              (1, 0.5, 1.01, "y"), (1, "nan", 0.5, "x"), (2, 0.5, "inf", "y")):
        with pytest.raises(InvalidInput) as refused:
            reviews.annotate(author, document, page, x, y, "消防车道宽度不足")
        assert field in refused.value.fields
    with pytest.raises(InvalidInput):
        reviews.annotate(author, document, 1, 0.2, 0.3, "  ")
    outsider = f.staff(f.department("市场监督管理局"))["handler"]
    with pytest.raises(Forbidden):
        reviews.annotate(outsider, document, 1, 0.2, 0.3, "不相干")
    mark = reviews.annotate(author, document, 2, 1, 0, "消防车道宽度不足4米")
    lead_mark = reviews.annotate(world.people[0]["handler"], document, 1, 0.25, 0.75, "请核对用地红线")
    assert (mark.page, mark.x, mark.y, mark.department) == (2, 1.0, 0.0, world.departments[2])
    assert lead_mark.department == world.departments[0]
    assert Annotation.objects.count() == 2


def test_late_departments(world):
    review = _open(world, limit_days=1)
    planner, ecology = world.people[1]["handler"], world.people[2]["handler"]
    assert reviews.late_departments(review, review.due_on) == []
    after = get_calendar().add(review.due_on, 1)
    assert reviews.late_departments(review, after) == world.departments[1:]
    clock.set_now(timezone.make_aware(dt.datetime.combine(after, dt.time(10))))
    reviews.post_opinion(planner, review, "agree", "")
    # posted after the deadline: still late, for good
    assert reviews.late_departments(review, after + dt.timedelta(days=30)) == world.departments[1:]
    reviews.conclude(world.people[0]["handler"], review, "同意。")  # the one who opened it concludes
    review.refresh_from_db()
    assert review.state == JointReview.State.CONCLUDED
    assert reviews.late_departments(review) == world.departments[1:]
    assert ecology.department in reviews.late_departments(review)


def test_a_review_concluded_before_its_deadline_has_no_late_department(world):
    review = _open(world, limit_days=5)
    reviews.conclude(world.people[0]["approver"], review, "同意。")
    review.refresh_from_db()
    assert reviews.late_departments(review, review.due_on + dt.timedelta(days=40)) == []


def test_only_the_lead_approver_or_the_opener_concludes(world):
    review = _open(world)
    for someone in (world.people[0]["reviewer"], world.people[1]["approver"]):
        with pytest.raises(Forbidden):
            reviews.conclude(someone, review, "同意。")
    with pytest.raises(InvalidInput) as refused:
        reviews.conclude(world.people[0]["approver"], review, " ")
    assert "conclusion" in refused.value.fields
    reviews.conclude(world.people[0]["approver"], review, "同意。")
    with pytest.raises(TransitionRefused):
        reviews.conclude(world.people[0]["approver"], review, "再次出具")


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "").replace("\n", "")


def test_the_joint_opinion_document_prints_every_department_and_mark(world):
    review = _open(world, limit_days=1)
    reviews.post_opinion(world.people[1]["handler"], review, "conditional", "退让道路红线不足5米，请调整。")
    document = review.documents.get()
    reviews.annotate(world.people[1]["handler"], document, 2, 0.4, 0.6, "北侧退让不足")
    after = get_calendar().add(review.due_on, 1)
    clock.set_now(timezone.make_aware(dt.datetime.combine(after, dt.time(15))))
    reviews.conclude(world.people[0]["approver"], review, "原则同意，请按规划部门意见调整总平面布置。")
    review.refresh_from_db()
    pdf = render_review(review)
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    for expected in ("联审意见书", review.number, review.stage.project.name, review.stage.number,
                     world.departments[0].name, world.departments[1].name, "原则同意(附意见)",
                     "退让道路红线不足5米，请调整。", world.departments[2].name, "未提交", "逾期",
                     "北侧退让不足", "第2页", "原则同意，请按规划部门意见调整总平面布置。", "（盖章）",
                     f"{after.year}年{after.month}月{after.day}日"):
        assert expected in text, expected


# -- pages ----------------------------------------------------------------------------------------

def test_the_room_through_its_pages(world, client):
    stage = world.open()
    lead = world.people[0]["handler"]
    f.login_staff(client, lead)
    unknown = client.get(reverse("joint:review_new") + "?subject=JD2026000000XXXX", follow=True)
    assert "未找到该阶段或办件" in unknown.content.decode()
    new = reverse("joint:review_new") + f"?stage={stage.number}"
    form = client.get(new)
    assert form.status_code == 200 and world.departments[1].name in form.content.decode()
    refused = client.post(new, {"stage": stage.number, "title": "总平面联审", "limit_days": "3",
                                "departments": [d.pk for d in world.departments[1:]],
                                "documents": [SimpleUploadedFile("图.png", f.PNG_SCAN)]})
    assert refused.status_code == 400 and "只接受PDF" in refused.content.decode()
    opened = client.post(new, {"stage": stage.number, "title": "总平面联审", "limit_days": "3",
                               "departments": [d.pk for d in world.departments[1:]], "documents": [drawing()]})
    review = JointReview.objects.get()
    assert opened.status_code == 302 and opened["Location"] == reverse("joint:review", args=[review.number])
    document = review.documents.get()

    f.login_staff(client, world.people[1]["handler"])
    listing = client.get(reverse("joint:reviews")).content.decode()
    assert review.number in listing and "待提交" in listing
    room = client.get(reverse("joint:review", args=[review.number])).content.decode()
    assert reverse("joint:review_page", args=[review.number, document.pk, 1]) in room
    assert 'id="mark-form"' in room and 'name="verdict"' in room
    image = client.get(reverse("joint:review_page", args=[review.number, document.pk, 2]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    png = image.content
    assert png.startswith(b"\x89PNG")
    again = client.get(reverse("joint:review_page", args=[review.number, document.pk, 2]))
    assert again.content == png
    assert client.get(reverse("joint:review_page", args=[review.number, document.pk, 2]),
                      HTTP_IF_NONE_MATCH=image["ETag"]).status_code == 304
    assert client.get(reverse("joint:review_page", args=[review.number, document.pk, 3])).status_code == 404
    marked = client.post(reverse("joint:review_annotate", args=[review.number]),
                         {"document": document.pk, "page": 2, "x": "0.3", "y": "0.4", "comment": "消防登高面不足"})
    assert marked.status_code == 302
    posted = client.post(reverse("joint:review_opinion", args=[review.number]),
                         {"verdict": "conditional", "opinion": ""})
    assert posted.status_code == 400 and "必须写明具体意见" in posted.content.decode()
    client.post(reverse("joint:review_opinion", args=[review.number]),
                {"verdict": "conditional", "opinion": "请补充消防登高面。"})
    room = client.get(reverse("joint:review", args=[review.number]) + f"?doc={document.pk}&page=2").content.decode()
    assert "消防登高面不足" in room and "请补充消防登高面。" in room and 'class="pin"' in room
    assert client.get(reverse("joint:review_pdf", args=[review.number])).status_code == 409
    assert client.post(reverse("joint:review_conclude", args=[review.number]),
                       {"conclusion": "同意"}).status_code == 403

    outsider = f.staff(f.department("市场监督管理局"))["handler"]
    f.login_staff(client, outsider)
    assert client.get(reverse("joint:review", args=[review.number])).status_code == 404
    assert client.get(reverse("joint:review_page", args=[review.number, document.pk, 1])).status_code == 404

    f.login_staff(client, world.people[0]["approver"])
    concluded = client.post(reverse("joint:review_conclude", args=[review.number]),
                            {"conclusion": "原则同意，按各部门意见修改。"})
    assert concluded.status_code == 302
    pdf = client.get(reverse("joint:review_pdf", args=[review.number]) + "?download=1")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]
    text = _text(pdf.content)
    assert "请补充消防登高面。" in text and "消防登高面不足" in text
