from django.urls import path

from . import views

app_name = "performance"
urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("ranking.xlsx", views.export, name="export"),
    path("indicators/", views.indicators, name="indicators"),
    path("manual/", views.manual, name="manual"),
]
