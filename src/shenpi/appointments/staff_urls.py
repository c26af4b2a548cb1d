"""Staff addresses of appointments (a window's day), mounted by the project at /workbench/appointments/."""

from django.urls import path

from . import window

app_name = "appointments_staff"

urlpatterns = [
    path("", window.day, name="day"),
    path("publish/", window.publish, name="publish"),
    path("bookings/<str:code>/mark/", window.mark, name="mark"),
]
