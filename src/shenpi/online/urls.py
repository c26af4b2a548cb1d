from django.urls import path

from . import views

app_name = "online"

urlpatterns = [
    path("", views.items, name="items"),
    path("items/<str:code>/", views.item, name="item"),
    path("items/<str:code>/start/", views.start, name="start"),
    path("cases/<str:number>/supplement/", views.supplement, name="supplement"),
    path("cases/<str:number>/deferred/", views.deferred, name="deferred"),
    path("<str:number>/", views.application, name="application"),
    path("<str:number>/save/", views.save, name="save"),
    path("<str:number>/discard/", views.discard, name="discard"),
    path("<str:number>/materials/<int:spec_id>/", views.upload, name="upload"),
    path("<str:number>/files/<int:upload_id>/", views.download, name="file"),
    path("<str:number>/files/<int:upload_id>/remove/", views.remove, name="remove_upload"),
]
