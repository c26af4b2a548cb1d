"""Celery tasks: delivery of the notification outbox."""

from celery import shared_task

from . import services


@shared_task(name=services.DELIVERY_TASK, ignore_result=True)
def deliver_notifications(limit: int = 100) -> dict[str, int]:
    """Deliver every due message (queued after each commit; every minute by beat for retries)."""
    outcome = services.drain(limit)
    return {"sent": outcome.sent, "retry": outcome.retry, "failed": outcome.failed}
