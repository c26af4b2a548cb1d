"""The hall's wall screen (大屏): the page and the figures its script polls (shenpi.reports.wall)."""

from django.urls import path

from . import wall

app_name = "wall"

urlpatterns = [
    path("", wall.page, name="page"),
    path("data.json", wall.data, name="data"),
]
