"""Public address at /courier/: the courier's signed push of tracking events."""

from . import views

app_name = "courier"

urlpatterns = [*views.public_urlpatterns]
