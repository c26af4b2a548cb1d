"""Staff addresses of fees at /workbench/fees/: bills of a case, bill stocks, payments and refunds
(views_bills); daily closing, reconciliation and the monthly summary (views_closing)."""

from . import views_bills, views_closing

app_name = "fees"

urlpatterns = [*views_bills.urlpatterns, *views_closing.urlpatterns]
