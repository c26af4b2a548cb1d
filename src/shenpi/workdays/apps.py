from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "shenpi.workdays"
    verbose_name = "工作日历"
