from django.urls import path

from . import monthly_views, views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    # Before the report pages: "monthly" is not a report's code.
    path("monthly/", monthly_views.monthly_list, name="monthly"),
    path("monthly/<int:pk>.<str:extension>", monthly_views.monthly_file, name="monthly-file"),
    path("<slug:code>.xlsx", views.export, name="export"),
    path("<slug:code>/", views.report_page, name="report"),
    path("<slug:code>/definition/", views.definition, name="definition"),
    path("<slug:code>/cases/", views.cases, name="cases"),
]
