from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "shenpi.portal"
    verbose_name = "政务服务网（公众门户）"
