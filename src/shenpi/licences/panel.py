"""This app's section of the staff case page: the workbench calls `case_panel(user, case)` and shows
the section when it answers anything but None.

The 证照 section appears on cases whose item has a certificate template: the issue button once the
case is granted, then the licences issued for it with download, print and the forms to renew,
change, cancel or revoke — for the department's approvers and window clerks.
"""

from __future__ import annotations

from shenpi.accounts.models import Role
from shenpi.cases.models import Decision

from .issue import ISSUABLE_STATES
from .keys import active_key
from .models import CertificateTemplate, Licence

ACTING_ROLES = (Role.APPROVER, Role.CLERK)


def may_act(user, case) -> bool:
    """制证 and later changes: the issuing department's approver or window clerk (or an administrator)."""
    if user.is_superuser or user.has_role(Role.ADMIN):
        return True
    return user.department_id == case.department_id and user.has_role(*ACTING_ROLES)


def case_panel(user, case):
    template = CertificateTemplate.objects.filter(item_id=case.item_id, active=True).first()
    licences = list(Licence.objects.filter(case=case).select_related("issued_by", "status_changed_by", "replaces")
                    .defer("holder_id").order_by("issued_at", "pk"))
    if template is None and not licences:
        return None
    granted = case.decision == Decision.GRANT and case.state in ISSUABLE_STATES
    acting = may_act(user, case)
    issued = any(licence.replaces_id is None for licence in licences)
    has_key = active_key(case.department) is not None if granted and not issued else True
    return {
        "template": template,
        "licences": [{"licence": licence, "fields": licence.data.get("fields", []),
                      "current": licence.status == Licence.Status.VALID} for licence in licences],
        "granted": granted,
        "may_act": acting,
        "may_issue": acting and granted and not issued and template is not None and has_key,
        "missing_key": granted and not issued and not has_key,
    }
