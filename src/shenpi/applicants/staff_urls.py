"""窗口现场核验 in the workbench's frame: /workbench/identity/."""

from django.urls import path

from . import views

app_name = "identity_staff"

urlpatterns = [
    path("", views.window_verify, name="window_verify"),
]
