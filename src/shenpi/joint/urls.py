"""Staff addresses of projects, stages, joint reviews and the key-project board, at /workbench/projects/."""

from . import views_board, views_pages, views_reviews

app_name = "joint"

urlpatterns = [*views_pages.urlpatterns, *views_reviews.urlpatterns, *views_board.urlpatterns]
