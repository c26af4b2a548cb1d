from django.apps import AppConfig


class ApplicantsConfig(AppConfig):
    name = "shenpi.applicants"
    verbose_name = "申请人账号"
