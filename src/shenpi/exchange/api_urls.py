"""Data exchange under /api/v1/ (composed with the api app's by shenpi/urls.py): webhook subscriptions
of department systems and their delivery log, and cases registered from a department's own system."""

from . import registration_views, webhook_views

v1: list = webhook_views.urls + registration_views.urls
