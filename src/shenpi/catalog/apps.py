from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shenpi.catalog"
    verbose_name = "事项目录"
