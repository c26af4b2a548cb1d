"""The upstream feed: what each case action tells the province, in its format, through the sandbox."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from shenpi import clock
from shenpi.cases import services
from shenpi.cases.lifecycle import APPLICANT_TRANSITIONS, SYSTEM_TRANSITIONS, TRANSITIONS
from shenpi.cases.models import Case
from shenpi.exchange import mappings, outbox, sender, tasks
from shenpi.exchange.models import Delivery, Event, Mapping
from shenpi.feedback import services as feedback
from shenpi.feedback.models import Rating
from tests import factories as f
from tests.exchange.feed import Sandbox, accepted, completed, office, province, rating_system

pytestmark = pytest.mark.django_db


@pytest.fixture
def province_sandbox(sandboxes):
    return Sandbox(sandboxes, "province")


def test_every_action_the_province_has_a_place_for_is_a_real_action_and_told():
    actions = set(TRANSITIONS) | set(APPLICANT_TRANSITIONS) | set(SYSTEM_TRANSITIONS)
    assert set(outbox.ACTION_KINDS) <= actions
    # What stays untold, on purpose: receipt, staff handing a step to each other, and an audit seal.
    assert actions - set(outbox.ACTION_KINDS) == {"transfer", "seal"}
    for kinds in outbox.ACTION_KINDS.values():
        assert kinds
    assert tasks.send_events.name == sender.SEND_TASK  # the task a wake-up queues is the one registered


def test_a_case_s_whole_life_reaches_the_province_in_order_without_personal_numbers(province_sandbox):
    province()
    dept, people, it = office()
    case = accepted(people, it)
    case = services.perform(case, "suspend", actor=people["handler"],
                            params={"kind": "expert_review", "reason": "组织专家评审", "expected_days": 5})
    case = services.perform(case, "extend", actor=people["approver"], params={"days": 5, "reason": "情况复杂"})
    case = services.perform(case, "resume", actor=people["handler"])
    case = services.perform(case, "request_supplement", actor=people["handler"], params={"reason": "补交结构图纸"})
    case = services.perform(case, "resume", actor=people["clerk"])
    for role in ("handler", "reviewer", "approver"):
        case = services.perform(case, "pass", actor=people[role], params={"opinion": f"{role}同意"})
    case = services.perform(case, "deny", actor=people["approver"], params={"reason": "不符合规划条件"})
    case = services.perform(case, "complete", actor=people["clerk"])
    sender.send_due()

    events = province_sandbox.events()
    assert [e["kind"] for e in events] == [
        "accept", "suspend", "process", "resume", "suspend", "correction", "resume",
        "process", "process", "process", "result", "complete"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert province_sandbox.stats()["violations"] == 0
    first, special, extension = events[0], events[1], events[2]
    assert first["case"] == case.number and first["item"] == it.code and first["department"] == dept.code
    assert first["channel"] == "window" and first["accepted_at"].endswith("+08:00")
    assert first["promised_limit"] == 10 and first["statutory_limit"] == 20 and first["promised_due"]
    assert special["procedure"] == "expert_review" and special["procedure_name"] == "专家评审"
    assert special["expected_days"] == 5 and special["limit_due"] and special["reason"] == "组织专家评审"
    assert extension["extension"] == 5 and extension["reason"] == "情况复杂"
    assert events[4]["procedure"] == "supplement" and events[5]["phase"] == "start"
    assert events[7]["step"] == "审查" and events[7]["opinion"] == "handler同意"
    assert events[10]["result"] == "deny" and events[10]["reason"] == "不符合规划条件"
    assert events[11]["result"] == "completed" and events[11]["closed_at"]
    text = json.dumps(events, ensure_ascii=False)
    assert f.PERSON_ID not in text and "13812341234" not in text and "1234" not in text.replace(case.number, "")


def test_the_default_province_mapping_renames_and_recodes(province_sandbox):
    destination = province(mapping=True)
    dept, people, it = office()
    destination.mapping.item_codes = {it.code: "330100-000-XK-001"}
    destination.mapping.save()
    case = accepted(people, it)
    sender.send_due()
    [event] = province_sandbox.events()
    assert event["sjbs"] == str(Event.objects.get().key) and event["sblsh"] == case.number
    assert event["sjlx"] == "SL" and event["sbfs"] == "1" and event["sxbm"] == "330100-000-XK-001"
    assert "case" not in event and "kind" not in event


def test_ratings_go_to_the_rating_system_and_default_ratings_cost_a_few_queries(sandboxes, settings,
                                                                               django_assert_max_num_queries):
    rating_system()
    province()
    dept, people, it = office()
    cases = [completed(people, it) for _ in range(4)]
    sender.send_due()
    rating = Sandbox(sandboxes, "rating")
    assert rating.stats()["accepted"] == 0  # the rating system hears of ratings only
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(completed_at=clock.now() - dt.timedelta(days=30))
    settings.RATING_DEFAULT_DAYS = 15
    with django_assert_max_num_queries(12):
        assert feedback.default_ratings() == 4
    assert Rating.objects.count() == 4 and Event.objects.filter(kind="rating").count() == 4
    sender.send_due()
    got = rating.events()
    assert len(got) == 4 and {e["projectNo"] for e in got} == {c.number for c in cases}
    assert all(e["isDefault"] is True and e["alternate"] == "3" for e in got)
    assert Sandbox(sandboxes, "province").stats()["accepted"] == 4 * 6 + 4  # the province hears them too


def test_the_receiver_down_then_back_loses_nothing(province_sandbox, settings):
    settings.EXCHANGE_RETRY_FIRST = 0
    province()
    dept, people, it = office()
    province_sandbox.behave("fail")
    cases = [accepted(people, it) for _ in range(3)]
    result = sender.send_due(max_batches=3)
    assert result.delivered == 0 and result.retried >= 3
    assert province_sandbox.stats()["accepted"] == 0
    province_sandbox.behave("ok")
    sender.send_due()
    assert sorted(e["case"] for e in province_sandbox.events()) == sorted(c.number for c in cases)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.DELIVERED}


def test_a_stalled_receiver_times_out_and_is_tried_again(province_sandbox, settings):
    settings.EXCHANGE_RETRY_FIRST = 0
    settings.EXCHANGE_TIMEOUT = 0.3
    province()
    dept, people, it = office()
    accepted(people, it)
    province_sandbox.behave("stall", 1)
    result = sender.send_due(max_batches=1)
    assert result.retried == 1 and "Timeout" in Delivery.objects.get().last_error
    province_sandbox.behave("ok")
    sender.send_due()
    assert province_sandbox.stats()["accepted"] == 1


def test_repeats_after_a_lease_ran_out_are_dropped_by_the_receiver(province_sandbox):
    destination = province()
    dept, people, it = office()
    for _ in range(3):
        accepted(people, it)
    # A sender claims and posts, then stalls before recording the answer until its lease has run out.
    rows = sender.claim(destination, clock.now())
    sender.post(destination, sender.body_of(destination, rows))
    Delivery.objects.update(next_attempt_at=clock.now() - dt.timedelta(seconds=1))
    assert sender.send_due().delivered == 3  # another sender takes the rows again and posts them
    stats = province_sandbox.stats()
    assert stats["received"] == 6 and stats["accepted"] == 3 and stats["duplicates"] == 3


def test_dead_letter_after_the_last_attempt_then_resent(province_sandbox, settings, capsys):
    settings.EXCHANGE_RETRY_FIRST = 0
    settings.EXCHANGE_MAX_ATTEMPTS = 3
    destination = province()
    dept, people, it = office()
    accepted(people, it)
    province_sandbox.behave("fail")
    sender.send_due(max_batches=10)
    row = Delivery.objects.get()
    assert row.status == Delivery.Status.FAILED and row.attempts == 3 and "503" in row.last_error
    province_sandbox.behave("ok")
    sender.send_due()
    assert province_sandbox.stats()["accepted"] == 0  # a dead letter waits for an administrator
    call_command("exchange", "status")
    assert "投递失败 1" in capsys.readouterr().out
    call_command("exchange", "resend", str(row.pk))
    row.refresh_from_db()
    assert row.status == Delivery.Status.PENDING and row.attempts == 0
    destination.refresh_from_db()
    assert destination.retry_at is None and destination.failures == 0
    call_command("exchange", "send")
    assert province_sandbox.stats()["accepted"] == 1


def test_a_dead_letter_holds_back_its_case_s_later_events(province_sandbox, settings):
    settings.EXCHANGE_RETRY_FIRST = 0
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    province()
    dept, people, it = office()
    case = accepted(people, it)
    province_sandbox.behave("fail")
    sender.send_due(max_batches=1)
    province_sandbox.behave("ok")
    services.perform(case, "pass", actor=people["handler"])
    sender.send_due()
    assert province_sandbox.events() == []  # 过程 before 受理 would break the province's order
    sender.resend(Delivery.objects.all())
    sender.send_due()
    assert [e["kind"] for e in province_sandbox.events()] == ["accept", "process"]


def test_a_rolled_back_action_writes_nothing():
    province(url="http://127.0.0.1:9/events")
    dept, people, it = office()
    case = f.receive(people["clerk"], it)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.perform(case, "accept", actor=people["clerk"])
        raise RuntimeError
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_a_destination_without_address_waits_while_no_sandbox_is_configured(settings):
    settings.SANDBOX_URL = ""
    province()
    dept, people, it = office()
    accepted(people, it)
    assert sender.send_due().batches == 0
    assert Delivery.objects.get().status == Delivery.Status.PENDING


def test_mapping_commands_load_export_and_refuse_in_one_line(tmp_path):
    call_command("exchange", "mapping", "load", str(mappings.PROVINCE))
    mapping = Mapping.objects.get()
    out = tmp_path / "province.json"
    call_command("exchange", "mapping", "export", mapping.name, "-o", str(out))
    assert mappings.read(out) == mappings.read(mappings.PROVINCE)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"name": "x", "fields": {"case": "a", "item": "a"}}), encoding="utf-8")
    with pytest.raises(CommandError, match="接收方字段名重复"):
        call_command("exchange", "mapping", "load", str(broken))
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的JSON"):
        call_command("exchange", "mapping", "load", str(broken))
    with pytest.raises(CommandError, match="请指定投递记录id"):
        call_command("exchange", "resend")
    with pytest.raises(CommandError, match="不存在或不是投递失败状态"):
        call_command("exchange", "resend", "12345")


def test_the_sandbox_refuses_a_bad_signature_and_bad_behaviour(province_sandbox):
    import requests

    body = b'{"events": []}'
    answer = requests.post(f"{province_sandbox.url}/events", data=body, timeout=5,
                           headers={"X-Shenpi-Timestamp": "1", "X-Shenpi-Algorithm": "hmac-sm3",
                                    "X-Shenpi-Signature": "00"})
    assert answer.status_code == 401
    answer = requests.post(f"{province_sandbox.url}/behaviour", json={"mode": "explode"}, timeout=5)
    assert answer.status_code == 400
    assert province_sandbox.stats()["refused"] == 1


def test_the_administrator_sees_the_dead_letters_and_resends_them(admin_client, settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 1
    destination = province(url="http://127.0.0.1:9/events")  # nobody listens there
    dept, people, it = office()
    accepted(people, it)
    sender.send_due(max_batches=1)
    row = Delivery.objects.get()
    assert row.status == Delivery.Status.FAILED
    pages = ("/admin/exchange/delivery/?status__exact=failed",
             f"/admin/exchange/delivery/?destination__id__exact={destination.pk}&event__kind=accept",
             "/admin/exchange/event/?kind__exact=accept", "/admin/exchange/destination/", "/admin/exchange/mapping/",
             f"/admin/exchange/delivery/{row.pk}/change/")
    for url in pages:
        assert admin_client.get(url).status_code == 200, url
    page = admin_client.get("/admin/exchange/delivery/?status__exact=failed").content.decode()
    assert "重新投递" in page and "Connection" in page
    answer = admin_client.post("/admin/exchange/delivery/", {"action": "resend", "_selected_action": [row.pk]},
                               follow=True)
    assert "已将 1 条投递失败的记录重新放入待投递" in answer.content.decode()
    row.refresh_from_db()
    assert row.status == Delivery.Status.PENDING and row.attempts == 0
    sender.send_due(max_batches=1)
    destination.refresh_from_db()
    assert destination.retry_at is not None
    admin_client.post("/admin/exchange/destination/", {"action": "resume", "_selected_action": [destination.pk]})
    destination.refresh_from_db()
    assert destination.retry_at is None and destination.failures == 0


def test_a_payment_is_told_between_the_decision_and_the_completion(province_sandbox):
    from shenpi.fees import services as fees
    from shenpi.fees.payments import record_payment
    from tests.fees.conftest import FIXED, Office

    province(mapping=True)
    o = Office(FIXED)
    case = o.decided()
    charge = fees.create_charge(case, actor=o.clerk)
    record_payment(charge, channel="cash", amount=charge.total, actor=o.clerk, window=o.window)
    sender.send_due()
    events = province_sandbox.events()
    assert [e["sjlx"] for e in events] == ["SL", "GC", "GC", "GC", "JG", "JF"]
    assert events[-1]["jfje"] == "80.00" and events[-1]["jffs"] == "1" and events[-1]["jfdh"] == charge.number


def test_the_demo_s_destinations_reach_the_sandboxes_of_make_run(sandboxes):
    from shenpi.demo import exchange as demo_exchange

    assert demo_exchange.configure() == 2
    assert demo_exchange.configure() == 0  # the demo run again changes nothing
    dept, people, it = office()
    case = completed(people, it)
    feedback.rate_case(case, feedback.RatingInput(level=5, comment="很满意"))
    sender.send_due()
    province_events = Sandbox(sandboxes, "province").events()
    assert [e["sjlx"] for e in province_events] == ["SL", "GC", "GC", "GC", "JG", "BJ", "PJ"]
    [rated] = Sandbox(sandboxes, "rating").events()
    assert rated["projectNo"] == case.number and rated["alternate"] == "5" and rated["writingEvaluation"] == "很满意"


def test_a_correction_and_a_refusal_tell_what_was_missing_and_why(province_sandbox):
    province()
    dept, people, it = office()
    specs = list(it.current_version().materials.all())
    case = f.receive(people["clerk"], it, materials={specs[0].pk: {"received": True}})
    case = services.perform(case, "request_correction", actor=people["clerk"],
                            params={"missing": [{"name": specs[1].name, "problem": "未提交原件"}]})
    services.perform(case, "refuse", actor=people["clerk"], params={"reason": "逾期未补正"})
    sender.send_due()
    correction, result, complete = province_sandbox.events()
    assert correction["kind"] == "correction" and correction["phase"] == "start"
    assert correction["materials"] == [specs[1].name]
    assert (result["kind"], result["result"], result["reason"]) == ("result", "refused", "逾期未补正")
    assert (complete["kind"], complete["result"]) == ("complete", "refused")
