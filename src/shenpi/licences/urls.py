"""Staff addresses at /workbench/licences/: issuing and managing certificates (views_issue), the
e-licence library (views_library)."""

from . import views_issue, views_library

app_name = "licences"

urlpatterns = [*views_issue.urlpatterns, *views_library.urlpatterns]
