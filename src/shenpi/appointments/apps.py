from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "shenpi.appointments"
    verbose_name = "网上预约"
