"""Staff addresses of online applications (网上预审), mounted by the project at /workbench/prereview/."""

from django.urls import path

from . import prereview, stage_prereview

app_name = "online_staff"

urlpatterns = [
    path("", prereview.queue, name="queue"),
    # 一件事/阶段: pre-reviewed by the comprehensive window; accepting opens every case of the stage at once.
    path("stages/", stage_prereview.queue, name="stages"),
    path("stages/<str:number>/", stage_prereview.detail, name="stage_detail"),
    path("stages/<str:number>/accept/", stage_prereview.act, {"action": "accept"}, name="stage_accept"),
    path("stages/<str:number>/correct/", stage_prereview.act, {"action": "correct"}, name="stage_correct"),
    path("stages/<str:number>/refuse/", stage_prereview.act, {"action": "refuse"}, name="stage_refuse"),
    path("stages/<str:number>/files/<int:upload_id>/", stage_prereview.download, name="stage_file"),
    path("<str:number>/", prereview.detail, name="detail"),
    path("<str:number>/accept/", prereview.act, {"action": "accept"}, name="accept"),
    path("<str:number>/correct/", prereview.act, {"action": "correct"}, name="correct"),
    path("<str:number>/refuse/", prereview.act, {"action": "refuse"}, name="refuse"),
    path("<str:number>/files/<int:upload_id>/", prereview.download, name="file"),
]
