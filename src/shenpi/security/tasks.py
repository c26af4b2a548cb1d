import logging

from celery import shared_task

logger = logging.getLogger("shenpi.security")


@shared_task(name="shenpi.security.tasks.purge_security_events")
def purge_security_events() -> int:
    """Celery beat's retention pass (settings.CELERY_BEAT_SCHEDULE): events older than the retention period.

    Two passes at once are harmless: the purge takes the chain head's lock, and the second finds nothing."""
    from .retention import purge

    return purge().deleted


def purge_and_log() -> None:
    """The in-process job without a broker (shenpi.background, registered in apps.py)."""
    from .retention import purge

    result = purge()
    if result.deleted:
        logger.info("安全审计记录按保存期限删除 %d 条（%s 之前）", result.deleted, result.before.isoformat())
