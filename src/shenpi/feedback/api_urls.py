"""This app's endpoints under /api/v1/ (composed with the api app's by shenpi/urls.py)."""

v1: list = []
