"""换发, 变更, 注销, 吊销: who, when, why — and how each verifies afterwards."""

import pytest

from shenpi.errors import InvalidInput, TransitionRefused
from shenpi.licences import issue, verify
from shenpi.licences.models import Licence

pytestmark = pytest.mark.django_db


def test_renewal_issues_a_new_licence_and_replaces_the_old(office, licence):
    _, people, _ = office
    new = issue.renew(licence, people["approver"], "有效期届满")
    licence.refresh_from_db()
    assert licence.status == Licence.Status.REPLACED and licence.status_changed_by == people["approver"]
    assert licence.status_changed_at is not None and "有效期届满" in licence.status_reason
    assert new.replaces == licence and new.serial != licence.serial and new.status == Licence.Status.VALID
    assert new.data == licence.data
    assert verify.check_licence(new).ok
    old = verify.check_licence(licence)
    assert old.sm2 and not old.ok and "已换发" in old.summary


def test_change_carries_the_changed_field(office, licence):
    _, people, _ = office
    new = issue.change(licence, people["clerk"], "工程名称更正", {"工程名称": "示范小区1号楼（更正）"})
    fields = {f["label"]: f["value"] for f in new.data["fields"]}
    assert fields["工程名称"] == "示范小区1号楼（更正）" and "示范小区1号楼（更正）" in new.signed_data
    assert Licence.objects.get(pk=licence.pk).status == Licence.Status.REPLACED
    with pytest.raises(InvalidInput):
        issue.change(new, people["clerk"], "无变化", {"工程名称": "示范小区1号楼（更正）"})


def test_cancel_and_revoke_need_a_reason_and_happen_once(office, licence):
    _, people, _ = office
    with pytest.raises(InvalidInput):
        issue.revoke(licence, people["approver"], "  ")
    issue.revoke(licence, people["approver"], "以欺骗手段取得许可")
    licence.refresh_from_db()
    assert licence.status == Licence.Status.REVOKED and licence.status_changed_by == people["approver"]
    with pytest.raises(TransitionRefused):
        issue.cancel(licence, people["approver"], "再注销")
    with pytest.raises(TransitionRefused):
        issue.renew(licence, people["approver"], "换发")
    outcome = verify.check_licence(licence)
    assert outcome.sm2 and not outcome.ok and "已吊销" in outcome.summary
