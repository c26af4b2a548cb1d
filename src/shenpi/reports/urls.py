from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:code>.xlsx", views.export, name="export"),
    path("<slug:code>/", views.report_page, name="report"),
    path("<slug:code>/definition/", views.definition, name="definition"),
    path("<slug:code>/cases/", views.cases, name="cases"),
]
