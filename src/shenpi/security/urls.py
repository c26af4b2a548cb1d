from django.urls import path

from . import views

app_name = "security"
urlpatterns = [
    path("", views.search, name="search"),
    path("export.xlsx", views.export, name="export"),
]
