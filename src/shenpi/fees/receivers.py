"""Receivers of case actions (cases/hooks.py) for this app: 办结 waits for payment, and a charge
made by the platform after 准予 when the item's fees are all fixed amounts."""

from shenpi.cases import hooks
from shenpi.cases.models import Decision
from shenpi.errors import TransitionRefused

from . import services


@hooks.before("complete", order=200)
def completion_waits_for_payment(act) -> None:
    """缴费后方可办结: a chargeable item whose version says so is not completed before a paid (or
    wholly waived) charge stands. Reads only: the refusal rolls the action back."""
    case = act.case
    if case.decision != Decision.GRANT or not services.must_pay_first(case.version):
        return
    if services.settled(case):
        return
    charge = services.current_charge(case)
    if charge is None:
        raise TransitionRefused("该事项须缴费后方可办结：请先开具收费单并收取费用。")
    raise TransitionRefused(f"该事项须缴费后方可办结：收费单{charge.number}（应缴{charge.total}元）尚未缴费。")


@hooks.subscriber("fees.charge_on_grant", "grant")
def charge_on_grant(event: hooks.Published) -> None:
    """After 准予 commits: the charge, when no quantity has to be asked (safe to repeat)."""
    services.charge_on_grant(event.case_id)
