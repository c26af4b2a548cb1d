"""The supervision rules that watch complaints and bad ratings, around 国庆 2026."""

from django.utils import timezone

from shenpi.feedback import services
from shenpi.feedback.models import Complaint, RatingFollowUp
from shenpi.supervision.models import Alert, Level
from shenpi.supervision.scan import scan
from shenpi.workdays.services import get_calendar

from .conftest import at, completed, freeze


def _open(code):
    return set(Alert.objects.filter(rule__code=code, status=Alert.Status.OPEN).values_list("level", "subject"))


def test_a_complaint_unanswered_after_its_deadline(world):
    freeze(at(2026, 9, 24))
    complaint = services.file_complaint(services.ComplaintInput(
        subject=Complaint.Subject.OTHER, complainant="赵六", mobile="13912345678", content="窗口推诿",
        department_id=world.dept.pk))
    due = complaint.answer_due
    assert due == get_calendar().add(timezone.localdate(complaint.filed_at), 10)
    freeze(at(due.year, due.month, due.day, 17))
    scan()
    assert _open("service.complaint_late") == set()
    following = get_calendar().add(due, 1)
    freeze(at(following.year, following.month, following.day, 9))
    scan()
    assert _open("service.complaint_late") == {(Level.YELLOW, f"complaint:{complaint.pk}")}
    services.answer_complaint(complaint, actor=world.people["liaison"], answer="已核实并批评教育当事人。")
    freeze(at(following.year, following.month, following.day, 10))
    scan()
    assert _open("service.complaint_late") == set()


def test_a_bad_rating_not_followed_up_in_time(world):
    freeze(at(2026, 9, 21))
    case = completed(world)
    freeze(at(2026, 9, 28))
    rating = services.rate_case(case, services.RatingInput(level=1, reason="多次往返", comment="办事慢"))
    follow_up = RatingFollowUp.objects.get(rating=rating)
    due = follow_up.due
    freeze(at(due.year, due.month, due.day, 17))
    scan()
    assert _open("service.bad_rating_unhandled") == set()
    following = get_calendar().add(due, 1)
    freeze(at(following.year, following.month, following.day, 9))
    scan()
    assert _open("service.bad_rating_unhandled") == {(Level.YELLOW, f"rating:{follow_up.pk}")}
    alert = Alert.objects.get(rule__code="service.bad_rating_unhandled")
    assert alert.case_id == case.pk and alert.figures["visited"] is False
