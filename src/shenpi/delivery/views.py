"""Pages of this app (filled in with its features)."""

urlpatterns: list = []
