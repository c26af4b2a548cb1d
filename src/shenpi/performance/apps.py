from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "shenpi.performance"
    label = "performance"
    verbose_name = "绩效考核"
