"""Labels and tones for online applications on the public and the staff pages."""

from django import template

from shenpi.online.models import OnlineApplication

register = template.Library()

Status = OnlineApplication.Status
TONES = {Status.DRAFT: "muted", Status.SUBMITTED: "info", Status.CORRECTING: "warn", Status.ACCEPTED: "ok",
         Status.REFUSED: "bad"}


@register.filter
def app_tone(status: str) -> str:
    return TONES.get(status, "muted")


@register.filter
def prereview_tone(app: OnlineApplication, today) -> str:
    """Overdue (逾期) in red, due today in amber: what the window must not let slip."""
    if app.status != Status.SUBMITTED or app.prereview_due is None:
        return ""
    if app.prereview_due < today:
        return "bad"
    return "warn" if app.prereview_due == today else ""


@register.filter
def file_size(size) -> str:
    size = int(size or 0)
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
