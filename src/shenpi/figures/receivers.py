"""After a case action commits, the process that keeps the aggregates is woken (embedded default).

With Celery, beat runs the upkeep every SHENPI_FIGURES_INTERVAL seconds whatever happens.
"""

from __future__ import annotations

from shenpi import background
from shenpi.cases import hooks

from .upkeep import UPKEEP_JOB


@hooks.after(hooks.ANY, order=960, name="figures.keep_up_soon")
def keep_up_soon(act) -> None:
    if background.running(UPKEEP_JOB):
        background.once_after_commit(_wake)


def _wake() -> None:
    background.wake_job(UPKEEP_JOB)
