"""This app's endpoints under /api/v1/ (composed with the api app's by shenpi/urls.py)."""

from django.urls import path

from . import api_views

v1: list = [
    path("online/applications/", api_views.ApplicationListView.as_view(), name="online-application-list"),
    path("online/applications/<str:number>/", api_views.ApplicationDetailView.as_view(),
         name="online-application-detail"),
    path("online/applications/<str:number>/actions/", api_views.PrereviewActionView.as_view(),
         name="online-application-actions"),
]
