"""办结 means delivered: a window pickup records who collected it; electronic delivery needs an e-licence."""

from __future__ import annotations

import pytest
from django.db import connection

from shenpi.cases import services
from shenpi.cases.models import CaseEvent, State
from shenpi.delivery import services as delivery
from shenpi.delivery.models import Delivery
from shenpi.errors import InvalidInput, TransitionRefused
from shenpi.licences.models import Licence
from tests import factories as f

from .conftest import licence_for

pytestmark = pytest.mark.django_db

AGENT_ID = "110105199003071239"


def raw(column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM delivery_delivery WHERE id = %s", [pk])  # noqa: S608 - test's own column
        return cursor.fetchone()[0]


def test_completing_without_a_word_is_a_pickup_by_the_applicant_in_person(decided):
    case, people = decided
    services.perform(case.pk, "complete", actor=people["clerk"])
    row = Delivery.objects.get(case=case)
    assert (row.method, row.status, row.receiver_name) == ("window", "delivered", "张三")
    assert row.receiver_id == f.PERSON_ID and row.receiver_id_masked == "110105********002X"
    assert row.due == case.delivery_due and row.recorded_by == people["clerk"] and row.delivered_at is not None
    event = CaseEvent.objects.get(case=case, action="complete")
    assert event.data["delivery"] == {"method": "window", "receiver": "张三", "receiver_id": "110105********002X"}


def test_the_words_of_older_records_still_complete(decided):
    case, people = decided
    services.perform(case.pk, "complete", actor=people["clerk"], params={"delivery": "窗口领取"})
    assert Delivery.objects.get(case=case).method == "window"


def test_an_agent_collects_with_a_checked_id_number_kept_encrypted(decided):
    case, people = decided
    delivery.deliver_at_window(case.pk, actor=people["clerk"], receiver_name="李四", receiver_id=AGENT_ID)
    row = Delivery.objects.get(case=case)
    assert (row.receiver_name, row.receiver_id, row.receiver_id_masked) == ("李四", AGENT_ID, "110105********1239")
    assert AGENT_ID not in raw("receiver_id", row.pk)
    assert type(case).objects.get(pk=case.pk).state == State.COMPLETED


@pytest.mark.parametrize(("name", "number", "field"), [
    ("李四", "110105199003071230", "receiver_id"),  # wrong check digit
    ("李四", "", "receiver_id"),
    ("", AGENT_ID, "receiver_name"),
])
def test_an_agent_without_a_valid_identity_changes_nothing(decided, name, number, field):
    case, people = decided
    with pytest.raises(InvalidInput) as refused:
        delivery.deliver_at_window(case.pk, actor=people["clerk"], receiver_name=name, receiver_id=number)
    assert field in refused.value.fields
    assert type(case).objects.get(pk=case.pk).state == State.DECIDED
    assert not Delivery.objects.filter(case=case).exists()


def test_electronic_delivery_without_a_licence_is_refused(decided):
    case, people = decided
    with pytest.raises(TransitionRefused, match="没有有效的电子证照"):
        delivery.deliver_electronically(case.pk, actor=people["clerk"])
    licence_for(case, status=Licence.Status.REVOKED)
    with pytest.raises(TransitionRefused, match="没有有效的电子证照"):
        services.perform(case.pk, "complete", actor=people["clerk"], params={"delivery": "电子证照推送"})
    assert type(case).objects.get(pk=case.pk).state == State.DECIDED
    assert not Delivery.objects.filter(case=case).exists()


def test_electronic_delivery_pushes_the_latest_valid_licence(decided):
    case, people = decided
    licence = licence_for(case, serial="L0002")
    delivery.deliver_electronically(case.pk, actor=people["clerk"])
    row = Delivery.objects.get(case=case)
    assert (row.method, row.status, row.licence_id) == ("electronic", "delivered", licence.pk)
    assert CaseEvent.objects.get(case=case, action="complete").data["delivery"]["licence"] == licence.identifier


def test_posting_by_the_word_alone_is_refused_until_a_parcel_is_signed_for(decided):
    case, people = decided
    with pytest.raises(TransitionRefused, match="须先在“送达”中寄出"):
        services.perform(case.pk, "complete", actor=people["clerk"], params={"delivery": "邮寄送达"})
    with pytest.raises(InvalidInput):
        services.perform(case.pk, "complete", actor=people["clerk"], params={"delivery": "飞鸽传书"})


def test_the_case_page_takes_the_agent_at_the_window(client, decided):
    case, people = decided
    f.login_staff(client, people["clerk"])
    page = client.get(f"/workbench/cases/{case.number}/")
    assert "送达期限" in page.content.decode() and "代领人身份证号码" in page.content.decode()
    case.refresh_from_db()
    answer = client.post(f"/workbench/cases/{case.number}/act/", {
        "action": "complete", "row_version": case.row_version, "complete-delivery": "窗口领取",
        "complete-receiver_name": "李四", "complete-receiver_id": AGENT_ID})
    assert answer.status_code == 302
    row = Delivery.objects.get(case=case)
    assert row.receiver_name == "李四"
    receipt = client.get(f"/workbench/delivery/{case.number}/{row.pk}/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
