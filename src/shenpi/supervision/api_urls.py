"""This app's endpoints under /api/v1/ (composed with the api app's by shenpi/urls.py)."""

from django.urls import path

from . import api_views

v1: list = [
    path("supervision/alerts/", api_views.AlertListView.as_view(), name="supervision-alert-list"),
    path("supervision/alerts/<str:alert_id>/", api_views.AlertDetailView.as_view(), name="supervision-alert-detail"),
    path("supervision/alerts/<str:alert_id>/answer/", api_views.AlertAnswerView.as_view(),
         name="supervision-alert-answer"),
    path("supervision/orders/", api_views.OrderListView.as_view(), name="supervision-order-list"),
    path("supervision/orders/<str:number>/", api_views.OrderDetailView.as_view(), name="supervision-order-detail"),
    path("supervision/orders/<str:number>/answer/", api_views.OrderAnswerView.as_view(),
         name="supervision-order-answer"),
]
