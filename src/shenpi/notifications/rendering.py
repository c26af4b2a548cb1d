"""The message templates: Django templates in templates/notifications/<code>.txt, in Chinese.

The first line of the rendered text is the subject (the e-mail subject), the rest is the body
(the e-mail body and the SMS text). Each template names the context it cannot do without, so a
message with a blank where the case number should be is refused when it is written, not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.template import Context, Engine

_FOLDER = Path(__file__).resolve().parent / "templates" / "notifications"
_ENGINE = Engine(dirs=[str(_FOLDER)])
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class MessageTemplate:
    code: str
    name: str
    requires: tuple[str, ...]
    # Context values never kept readable: masked in the stored body (see models.Notification).
    secret: tuple[str, ...] = ()


TEMPLATES: dict[str, MessageTemplate] = {t.code: t for t in (
    MessageTemplate("case_accepted", "受理通知", ("case",)),
    MessageTemplate("correction_requested", "补正告知", ("case", "materials")),
    MessageTemplate("case_refused", "不予受理通知", ("case",)),
    MessageTemplate("case_completed", "办结通知", ("case",)),
    MessageTemplate("supplement_requested", "补件告知", ("case", "materials")),
    MessageTemplate("special_procedure", "特别程序告知", ("case", "procedure", "reason", "expected_days")),
    MessageTemplate("case_extended", "延期告知", ("case", "days", "reason")),
    MessageTemplate("appointment_booked", "预约成功", ("item_name", "window", "start")),
    MessageTemplate("complaint_answered", "投诉答复", ("complaint_number", "answer")),
    MessageTemplate("alert_raised", "监察预警/黄牌/红牌", ("level", "rule")),
    MessageTemplate("supervision_order", "督办通知", ("order_number", "content", "reply_due")),
    MessageTemplate("step_transferred", "转办通知", ("case", "step", "sender", "reason")),
    MessageTemplate("notify_test", "发送测试", ()),
    MessageTemplate("mobile_code", "手机验证码", ("code", "minutes", "purpose"), secret=("code",)),
    MessageTemplate("identity_reclaimed", "证件号码找回通知", ("id_masked", "mobile_masked")),
    MessageTemplate("green_channel_accepted", "绿色通道受理提醒", ("case", "project", "due")),
    MessageTemplate("joint_review_invited", "联审邀请", ("review_number", "title", "due")),
)}


def template_for(code: str) -> MessageTemplate:
    try:
        return TEMPLATES[code]
    except KeyError:
        raise ValueError(f"未知的通知模板“{code}”；可用：{'、'.join(TEMPLATES)}。") from None


def check_context(template: MessageTemplate, context: dict) -> None:
    missing = [key for key in template.requires if context.get(key) in (None, "", [], ())]
    if missing:
        raise ValueError(f"通知模板“{template.code}”缺少内容：{'、'.join(missing)}。")


def masked(template: MessageTemplate, context: dict) -> dict:
    """The context with each secret value replaced by as many asterisks."""
    return {**context, **{key: "*" * len(str(context[key])) for key in template.secret if key in context}}


def render(code: str, context: dict) -> tuple[str, str]:
    """(subject, body) of the template with this context."""
    template = template_for(code)
    check_context(template, context)
    # Plain text: no HTML escaping of "&" or "<" in names, reasons and answers.
    text = _ENGINE.get_template(f"{code}.txt").render(Context(context, autoescape=False))
    lines = [line.rstrip() for line in text.strip().splitlines()]
    subject, body = lines[0].strip(), "\n".join(lines[1:]).strip()
    return subject[:200], _BLANK_LINES.sub("\n\n", body)
