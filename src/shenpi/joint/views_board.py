"""Staff pages of projects and stages: filled by the views of this part of parallel approval."""

urlpatterns: list = []
