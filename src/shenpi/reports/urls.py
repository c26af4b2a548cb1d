from django.urls import path  # noqa: F401

from . import monthly_views

app_name = "reports"

urlpatterns: list = []
urlpatterns.append(path("monthly/", monthly_views.monthly_list, name="monthly"))
urlpatterns.append(path("monthly/<int:pk>.<str:extension>", monthly_views.monthly_file, name="monthly-file"))
