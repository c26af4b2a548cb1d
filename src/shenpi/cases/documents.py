"""A Notice row and its case → the facts a printed notice shows → PDF (shenpi.cases.notices)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from .models import Notice
from .notices import NoticeData, notice_filename, render_notice


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _received_by(material, moment) -> bool:
    """Received when the notice was issued: a 容缺 material brought later is not listed as received."""
    return material.received and (material.received_at is None or material.received_at <= moment)


def _details(notice: Notice) -> dict:
    body, case, kind = notice.body, notice.case, notice.kind
    details: dict = {"received_on": _date(body.get("received_on"))}
    if case.title:
        details["project_name"] = case.title
    if kind == Notice.Kind.ACCEPTANCE:
        details.update(accepted_on=_date(body["accepted_on"]), promised_due=_date(body["promised_due"]),
                       statutory_due=_date(body["statutory_due"]), promised_limit=case.promised_limit,
                       statutory_limit=case.statutory_limit, due_provisional=bool(body.get("due_provisional")),
                       materials=[{"name": m.name, "copies": m.copies} for m in case.materials.all()
                                  if _received_by(m, notice.issued_at)])
        if body.get("deferred"):
            details.update(deferred=[{"name": m["name"], "due": _date(m["due_on"])} for m in body["deferred"]],
                           deferral_rule=body.get("deferral_rule") or "refuse",
                           deferral_online=bool(body.get("deferral_online")))
    elif kind == Notice.Kind.CORRECTION:
        details["materials"] = body["missing"]
        if body.get("instruction"):
            details["instruction"] = body["instruction"]
    elif kind in (Notice.Kind.REFUSAL, Notice.Kind.DENIAL):
        details["reason"] = body["reason"]
        if kind == Notice.Kind.DENIAL:
            details["accepted_on"] = _date(body.get("accepted_on"))
    elif kind == Notice.Kind.SPECIAL_PROCEDURE:
        details.update(procedure=body["procedure"], reason=body["reason"], expected_days=body["expected_days"],
                       accepted_on=_date(body.get("accepted_on")), start_on=notice.issued_at)
    elif kind == Notice.Kind.SUPPLEMENT:
        # Notices issued before the materials were listed have the reason alone; it names them.
        details.update(materials=body.get("materials") or None, reason=body["reason"])
        if body.get("due"):
            details["due"] = _date(body["due"])
    elif kind == Notice.Kind.EXTENSION:
        details.update(days=body["days"], reason=body["reason"], approved_by=body.get("issuer") or "本机关负责人",
                       new_due=_date(body["statutory_due"]), due_provisional=bool(body.get("due_provisional")))
    elif kind == Notice.Kind.GRANT:
        details.update(result_name=case.version.result_name or case.version.name,
                       accepted_on=_date(body.get("accepted_on")))
    return {key: value for key, value in details.items() if value not in (None, "")}


def notice_data(notice: Notice, public_base_url: str = "") -> NoticeData:
    case = notice.case
    return NoticeData(
        kind=notice.kind, number=notice.number, centre_name=settings.CENTRE_NAME,
        department_name=case.department.name, case_number=case.number, query_code=case.query_code,
        applicant_name=case.applicant_name, item_name=case.version.name, issued_at=notice.issued_at,
        issuer_name=str(notice.issued_by) if notice.issued_by else "", details=_details(notice),
        public_base_url=public_base_url,
    )


def notice_pdf(notice: Notice, public_base_url: str = "") -> tuple[str, bytes]:
    """(file name, PDF bytes) of a notice, rendered from the facts kept when it was issued.

    public_base_url: where its QR code points (shenpi.web.public_base_url); empty for the configured one.
    """
    data = notice_data(notice, public_base_url)
    return notice_filename(data), render_notice(data)
