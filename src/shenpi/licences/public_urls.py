"""Public addresses at /licence/: the verification page a certificate's QR code opens (证照核验)."""

from . import views_verify

app_name = "licence_check"

urlpatterns = [*views_verify.urlpatterns]
