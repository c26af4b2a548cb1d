"""Staff addresses at /workbench/delivery/: recording a delivery, posting, tracking."""

from . import views

app_name = "delivery"

urlpatterns = [*views.urlpatterns]
