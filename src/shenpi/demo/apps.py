from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "shenpi.demo"
    verbose_name = "演示数据"
