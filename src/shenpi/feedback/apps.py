from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "shenpi.feedback"
    verbose_name = "咨询、投诉与好差评"
