"""What online application adds to case actions (ADR 0004): registered from OnlineConfig.ready()."""

from __future__ import annotations

from shenpi.applicants.models import Applicant
from shenpi.cases import hooks
from shenpi.cases.lifecycle import Act
from shenpi.cases.models import CaseMaterial, Channel


def can_upload_online(case) -> bool:
    """The applicant can reach the case under 我的办件: filed online, or a real-name verified account holds its
    identifier (before 实名认证 an account sees only what it filed or added itself)."""
    return case.channel == Channel.ONLINE or Applicant.objects.filter(
        id_index=case.applicant_id_index, real_name_verified_at__isnull=False, identity_released_at__isnull=True,
        mobile_verified_at__isnull=False).exists()


@hooks.before("accept", order=60, name="online.deferral_online")
def deferred_materials_online(act: Act) -> None:
    """受理 under 容缺: the 受理通知书 also tells the applicant who can upload the deferred materials under
    我的办件 that they may do so (the effect reads the mark from the event's data)."""
    if not act.params.get("commitment"):
        return  # nothing deferred (or the effect refuses the acceptance): no query for an ordinary 受理
    case = act.case
    if CaseMaterial.objects.filter(case=case, deferred=True, received=False).exists() and can_upload_online(case):
        act.event_data["deferral_online"] = True
