from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "shenpi.portal"
    verbose_name = "政务服务网（公众门户）"

    def ready(self):
        from . import searchwords  # noqa: F401 - clears the cached synonym dictionary when it changes
