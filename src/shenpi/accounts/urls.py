from django.urls import path

from . import views

# The second step of signing in lives under /login/ (open to a half-signed-in session); the settings
# pages are staff pages like the workbench's.
app_name = "second_factor"
urlpatterns = [
    path("login/verify/", views.verify, name="verify"),
    path("login/enrol/", views.enrol, name="enrol"),
    path("login/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("workbench/second-factor/", views.my_settings, name="settings"),
    path("workbench/second-factor/recovery-codes/", views.regenerate, name="regenerate"),
    path("workbench/second-factor/staff/", views.staff_list, name="staff_list"),
    path("workbench/second-factor/staff/<int:user_id>/", views.staff_detail, name="staff_detail"),
]
