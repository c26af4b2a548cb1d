from django.urls import path

from . import stage_views, views

app_name = "online"

urlpatterns = [
    path("", views.items, name="items"),
    path("items/<str:code>/", views.item, name="item"),
    path("items/<str:code>/start/", views.start, name="start"),
    # 一件事一次办 and project stages: one form, one material list, one progress.
    path("bundles/", stage_views.bundles, name="bundles"),
    path("bundles/<str:code>/start/", stage_views.bundle_start, name="bundle_start"),
    path("stages/", stage_views.project_stages, name="project_stages"),
    path("stages/start/", stage_views.stage_start, name="stage_start"),
    path("stages/<str:number>/", stage_views.stage_application, name="stage_application"),
    path("stages/<str:number>/save/", stage_views.stage_save, name="stage_save"),
    path("stages/<str:number>/discard/", stage_views.stage_discard, name="stage_discard"),
    path("stages/<str:number>/upload/", stage_views.stage_upload, name="stage_upload"),
    path("stages/<str:number>/files/<int:upload_id>/", stage_views.stage_file, name="stage_file"),
    path("stages/<str:number>/files/<int:upload_id>/remove/", stage_views.stage_remove, name="stage_remove"),
    path("cases/<str:number>/supplement/", views.supplement, name="supplement"),
    path("cases/<str:number>/deferred/", views.deferred, name="deferred"),
    path("<str:number>/", views.application, name="application"),
    path("<str:number>/save/", views.save, name="save"),
    path("<str:number>/discard/", views.discard, name="discard"),
    path("<str:number>/materials/<int:spec_id>/", views.upload, name="upload"),
    path("<str:number>/files/<int:upload_id>/", views.download, name="file"),
    path("<str:number>/files/<int:upload_id>/remove/", views.remove, name="remove_upload"),
]
