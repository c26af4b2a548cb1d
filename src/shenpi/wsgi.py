import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shenpi.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - settings are configured by get_wsgi_application

if settings.SUPERVISE_IN_PROCESS:
    from shenpi.supervision.inprocess import start_scanner

    start_scanner(settings.SUPERVISE_INTERVAL, settings.SUPERVISE_SOON)

if settings.AUDIT_PURGE_IN_PROCESS:
    from shenpi.security.inprocess import start_purger

    start_purger()

if settings.PAYMENT_QUERY_IN_PROCESS:
    from shenpi.fees.inprocess import start_querier

    start_querier()

if settings.EXCHANGE_SEND_IN_PROCESS:
    from shenpi.exchange.sender import start_sender

    start_sender()
