from celery import shared_task


@shared_task(name="shenpi.security.tasks.purge_security_events")
def purge_security_events() -> int:
    """Celery beat's retention pass (settings.CELERY_BEAT_SCHEDULE): events older than the retention period."""
    from .retention import purge

    return purge().deleted
