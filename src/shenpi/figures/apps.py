from django.apps import AppConfig


class FiguresConfig(AppConfig):
    name = "shenpi.figures"
    verbose_name = "统计数据"

    def ready(self):
        from django.conf import settings

        from shenpi import background

        # Imported for what they register: the wake-up of the upkeep after case actions commit (receivers),
        # and each family of aggregates kept by the upkeep besides the cases' (family_*).
        from . import family_feedback, family_fees, family_process, family_supervision, receivers  # noqa: F401

        if settings.FIGURES_IN_PROCESS:
            # Without a broker: one web server process of the machine keeps the aggregates
            # (shenpi.background), woken after case actions commit and every SHENPI_FIGURES_INTERVAL seconds.
            from . import upkeep

            background.register(upkeep.UPKEEP_JOB, upkeep.keep_up, interval=settings.FIGURES_INTERVAL,
                                soon=settings.FIGURES_SOON)
