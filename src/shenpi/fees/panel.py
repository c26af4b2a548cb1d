"""This app's section of the staff case page: the workbench calls `case_panel(user, case)` and shows
the section when it answers anything but None.

Shown for a chargeable item (not free, with standards) once the case is granted, or whenever the
case has a charge: lines, totals, status, bill number and what this user may do next."""

from __future__ import annotations

from shenpi.accounts.models import Role
from shenpi.cases.models import Decision, State

from . import services
from .models import Bill, Charge, Refund


def case_panel(user, case):
    charges = list(case.charges.prefetch_related("lines__waiver", "bills__stock", "payments", "refunds")
                   .order_by("-pk"))
    version = case.version
    if not charges and (version.free_of_charge or case.decision != Decision.GRANT):
        return None
    if not charges and not version.fees.exists():
        return None
    current = next((c for c in charges if c.status in services.OPEN_STATUSES), None)
    own = user.is_superuser or user.department_id == case.department_id
    charges_here = own and (user.is_superuser or user.has_role(Role.CLERK, Role.APPROVER))
    at_window = user.is_superuser or user.has_role(Role.CLERK)
    bill = None
    if current is not None:
        bill = next((b for b in current.bills.all() if b.status == Bill.Status.USED), None)
    refunds_open = current is not None and any(
        r.status in (Refund.Status.REQUESTED, Refund.Status.APPROVED) for r in current.refunds.all())
    return {
        "case": case,
        "charge": current,
        "earlier": [c for c in charges if c is not current],
        "bill": bill,
        "payment": current.payments.all()[0] if current is not None and current.payments.all() else None,
        "refunds": list(current.refunds.all()) if current is not None else [],
        "must_pay_first": version.pay_before_completion,
        "may_create": charges_here and current is None and case.state == State.DECIDED
        and case.decision == Decision.GRANT,
        "may_pay": at_window and own and current is not None and current.status == Charge.Status.UNPAID,
        "may_cancel": charges_here and current is not None and current.status == Charge.Status.UNPAID,
        "may_print": current is not None and current.status == Charge.Status.PAID and own and at_window,
        "may_refund": charges_here and current is not None and current.status == Charge.Status.PAID
        and not refunds_open,
    }
