"""Configuration mistakes in the notification settings are reported by `shenpi check` and at start-up."""

from django.conf import settings
from django.core import checks

from .backends import EMAIL_BACKENDS, SMS_BACKENDS


def _choice_error(variable: str, value: str, choices: tuple[str, ...], code: str) -> checks.Error:
    return checks.Error(f"{variable} 应为 {' 或 '.join(choices)}，当前为“{value}”。", id=f"notifications.{code}")


@checks.register(checks.Tags.compatibility)
def notification_settings(app_configs=None, **kwargs):
    errors = []
    if settings.NOTIFY_EMAIL not in EMAIL_BACKENDS:
        errors.append(_choice_error("SHENPI_NOTIFY_EMAIL", settings.NOTIFY_EMAIL, EMAIL_BACKENDS, "E001"))
    if settings.NOTIFY_SMS not in SMS_BACKENDS:
        errors.append(_choice_error("SHENPI_NOTIFY_SMS", settings.NOTIFY_SMS, SMS_BACKENDS, "E002"))
    if settings.NOTIFY_SMS == "http" and not settings.SMS_URL.startswith(("http://", "https://")):
        errors.append(checks.Error("SHENPI_NOTIFY_SMS=http 需要 SHENPI_SMS_URL"
                                   "（http:// 或 https:// 开头的短信网关地址）。", id="notifications.E003"))
    if settings.NOTIFY_MAX_ATTEMPTS < 1:
        errors.append(checks.Error("SHENPI_NOTIFY_MAX_ATTEMPTS 至少为 1。", id="notifications.E004"))
    return errors
