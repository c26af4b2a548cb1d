"""Public addresses of consultation, complaints and ratings; mounted at the root before the portal."""

from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("consult/", views.consult_index, name="consult"),
    path("consult/<str:code>/", views.item_faq, name="item_faq"),
    path("complaints/", views.complaint_form, name="complain"),
    path("complaints/track/", views.complaint_track, name="track"),
    path("complaints/mine/<str:number>/", views.complain_mine, name="complain_mine"),
    path("ratings/", views.rate_case, name="rate"),
    path("ratings/mine/<str:number>/", views.rate_my_case, name="rate_mine"),
    path("ratings/window/<int:window_id>/", views.rate_window, name="rate_window"),
    path("ratings/window/<int:window_id>/qr.svg", views.window_qr, name="window_qr"),
    path("ratings/appeal/", views.appeal, name="appeal"),
]
