"""Staff addresses of online applications (网上预审), mounted by the project at /workbench/prereview/."""

from django.urls import path

from . import prereview

app_name = "online_staff"

urlpatterns = [
    path("", prereview.queue, name="queue"),
    path("<str:number>/", prereview.detail, name="detail"),
    path("<str:number>/accept/", prereview.act, {"action": "accept"}, name="accept"),
    path("<str:number>/correct/", prereview.act, {"action": "correct"}, name="correct"),
    path("<str:number>/refuse/", prereview.act, {"action": "refuse"}, name="refuse"),
    path("<str:number>/files/<int:upload_id>/", prereview.download, name="file"),
]
