"""How a message leaves: one backend per channel, chosen by settings.

- log (default): one line per message on the `shenpi.notifications` logger; counts as sent.
- smtp: e-mail through Django's SMTP connection (SHENPI_EMAIL_HOST …).
- http: SMS through a gateway that takes POST JSON {mobile, text, id} at SHENPI_SMS_URL.

A backend raises DeliveryError (or any OSError/SMTP error) when the message did not go out; the
delivery pass then schedules a retry. Backends are opened once per pass and closed after it.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection

from .models import Notification

logger = logging.getLogger("shenpi.notifications")

EMAIL_BACKENDS = ("log", "smtp")
SMS_BACKENDS = ("log", "http")


class DeliveryError(Exception):
    """The message did not go out; the text is kept as the notification's last error."""


class LogBackend:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message: Notification) -> None:
        text = message.outgoing_body().replace("\n", " ")
        logger.info("%s → %s [%s] %s｜%s", message.get_channel_display(), message.address_masked,
                    message.template, message.subject, text)


class SmtpBackend:
    """One SMTP connection for the whole pass, reopened after an error."""

    def __init__(self):
        self._connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._close()
        return False

    def _close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def send(self, message: Notification) -> None:
        if self._connection is None:
            # Named explicitly: Django's EMAIL_BACKEND is not this channel's switch (tests set it to locmem).
            self._connection = get_connection("django.core.mail.backends.smtp.EmailBackend", fail_silently=False)
            self._connection.open()
        email = EmailMessage(message.subject, message.outgoing_body(), settings.DEFAULT_FROM_EMAIL, [message.address],
                             headers={"X-Shenpi-Notification": str(message.pk)}, connection=self._connection)
        try:
            email.send(fail_silently=False)
        except BaseException:
            self._close()
            raise


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: urllib would follow it with a GET and report success."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class HttpSmsBackend:
    """POST {mobile, text, id} as JSON; any 2xx answer is success. The id lets the gateway drop repeats."""

    def __init__(self):
        url = settings.SMS_URL
        if not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured("SHENPI_SMS_URL 应为 http:// 或 https:// 开头的短信网关地址。")
        self.url = url

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message: Notification) -> None:
        payload = json.dumps({"mobile": message.address, "text": message.outgoing_body(), "id": message.pk},
                             ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if settings.SMS_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_TOKEN}"
        # The scheme is checked in __init__: only http(s) is ever opened.
        request = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")  # noqa: S310
        try:
            with _OPENER.open(request, timeout=settings.SMS_TIMEOUT) as answer:
                status = answer.status
                answer.read()
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"短信网关返回 HTTP {error.code}") from error
        except TimeoutError as error:
            raise DeliveryError(f"短信网关 {settings.SMS_TIMEOUT:g} 秒内无应答") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise DeliveryError(f"短信网关 {settings.SMS_TIMEOUT:g} 秒内无应答") from error
            raise DeliveryError(f"无法连接短信网关：{error.reason}") from error
        if not 200 <= status < 300:
            raise DeliveryError(f"短信网关返回 HTTP {status}")


def backend_for(channel: str):
    """A fresh backend for this channel under the current settings."""
    if channel == Notification.Channel.EMAIL:
        choice, choices = settings.NOTIFY_EMAIL, {"log": LogBackend, "smtp": SmtpBackend}
        variable = "SHENPI_NOTIFY_EMAIL"
    elif channel == Notification.Channel.SMS:
        choice, choices = settings.NOTIFY_SMS, {"log": LogBackend, "http": HttpSmsBackend}
        variable = "SHENPI_NOTIFY_SMS"
    else:
        raise ImproperlyConfigured(f"未知的通知渠道“{channel}”。")
    try:
        return choices[choice]()
    except KeyError:
        raise ImproperlyConfigured(f"{variable} 应为 {' 或 '.join(choices)}，当前为“{choice}”。") from None
