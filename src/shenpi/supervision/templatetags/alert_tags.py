"""Template helpers of the 电子监察 pages, and the workbench home's count of alerts to answer."""

from django import template

from shenpi.supervision import alerts

register = template.Library()


@register.filter
def get_level(counts, level) -> int:
    """A ScanRun's raised/closed figures are keyed by the level as text."""
    if not isinstance(counts, dict):
        return 0
    return int(counts.get(str(level), 0))


@register.inclusion_tag("supervision/_home_badge.html")
def alert_badge(user):
    """我的告警 with the number still open, for department staff; the board's link for supervisors."""
    if alerts.sees_all(user) and not user.department_id:
        return {"board": True}
    if not user.department_id:
        return {}
    return {"count": alerts.open_to_answer_count(user), "mine": True}


@register.filter
def subject_label(alert) -> str:
    """What an alert is about, in words, never its subject code ("complaint:3")."""
    return alerts.subject_label(alert)
