"""申请人网上撤回: the applicant withdraws their own online case from 我的办件; a window case is not theirs
to withdraw online, and nobody else's account can."""

import pytest

from shenpi import clock
from shenpi.cases import lifecycle, trail
from shenpi.cases import services as case_services
from shenpi.cases.models import CaseEvent, State
from shenpi.errors import Forbidden, InvalidInput, TransitionRefused
from shenpi.online import services
from tests import factories as f
from tests.applicants.helpers import client_for, person_id, real_named, verified

from .conftest import at, submitted

pytestmark = pytest.mark.django_db


def accepted_online(world):
    clock.set_now(at(2026, 11, 2, 9))
    return services.accept(submitted(world), world.people["clerk"])


def test_the_applicant_withdraws_an_online_case_from_the_case_page(world):
    case = accepted_online(world)
    owner = client_for(world.applicant)
    url = f"/account/cases/{case.number}/"
    page = owner.get(url).content.decode()
    assert "撤回申请" in page and f"{url}withdraw/" in page

    blank = owner.post(f"{url}withdraw/", {"reason": "  "})
    assert blank.status_code == 400 and "请填写撤回理由。" in blank.content.decode()
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS

    clock.set_now(at(2026, 11, 3, 9))
    done = owner.post(f"{url}withdraw/", {"reason": "项目暂缓建设"})
    assert done.status_code == 302 and done["Location"] == url
    case.refresh_from_db()
    assert case.state == State.WITHDRAWN and case.closing_reason == "项目暂缓建设"
    assert not case.steps.filter(status="active").exists()
    event = CaseEvent.objects.filter(case=case).order_by("pk").last()
    assert (event.action, event.actor_id, event.data["by_applicant"]) == (
        "withdraw_online", world.applicant.user_id, True)
    assert trail.verify(case_number=case.number).breaks == []
    page = owner.get(url).content.decode()
    assert "已撤回" in page and f"{url}withdraw/" not in page  # nothing more to withdraw


def test_only_the_applicant_and_only_an_online_case_in_progress(world):
    case = accepted_online(world)
    stranger = verified(id_number=person_id("11010519850101123"), mobile="13700000001")
    with pytest.raises(Forbidden):
        case_services.perform_as_applicant(case.number, "withdraw_online", user=stranger.user,
                                           id_index=stranger.id_index, params={"reason": "不办了"})
    assert client_for(stranger).post(f"/account/cases/{case.number}/withdraw/", {"reason": "不办了"}).status_code == 404

    # A case received at the window, though filed under the applicant's identifier (seen once the account
    # is real-name verified): the signed request, at the window.
    real_named(world.applicant)
    window = case_services.perform(f.receive(world.people["clerk"], world.item, id_number=world.applicant.id_number,
                                             name=world.applicant.name), "accept", actor=world.people["clerk"])
    with pytest.raises(TransitionRefused, match="撤回申请书"):
        case_services.perform_as_applicant(window.number, "withdraw_online", user=world.applicant.user,
                                           id_index=world.applicant.id_index, params={"reason": "不办了"})
    refused = client_for(world.applicant).post(f"/account/cases/{window.number}/withdraw/", {"reason": "不办了"})
    assert refused.status_code == 409 and "撤回申请书" in refused.content.decode()
    window.refresh_from_db()
    assert window.state == State.IN_PROGRESS

    with pytest.raises(InvalidInput):
        case_services.perform_as_applicant(case.number, "withdraw_online", user=world.applicant.user,
                                           id_index=world.applicant.id_index, params={})
    assert "withdraw_online" in lifecycle.APPLICANT_TRANSITIONS and "withdraw_online" not in lifecycle.TRANSITIONS
