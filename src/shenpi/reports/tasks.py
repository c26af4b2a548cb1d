from celery import shared_task

from . import monthly


@shared_task(name="shenpi.reports.tasks.monthly_reports")
def monthly_reports() -> None:
    monthly.run_scheduled_and_log()
