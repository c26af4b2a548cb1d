"""Public addresses at /pay/: the applicant's online payment and the payment gateway's notifications."""

from . import views_pay

app_name = "pay"

urlpatterns = [*views_pay.urlpatterns]
