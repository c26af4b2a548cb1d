from celery import shared_task

from . import upkeep


@shared_task(name="shenpi.figures.tasks.keep_up")
def keep_up() -> None:
    upkeep.keep_up_and_log()
