from django.urls import path

from . import views

# The case pages only: the other apps' staff pages under /workbench/ (prereview, feedback, appointments)
# are their own URL modules, mounted by shenpi.urls, so the workbench imports none of them.
app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("accept/", views.accept, name="accept"),
    path("cases/", views.case_search, name="cases"),
    path("stand-ins/", views.stand_ins, name="stand_ins"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/act/", views.act, name="act"),
    path("cases/<str:number>/notices/<int:notice_id>.pdf", views.notice_pdf_view, name="notice_pdf"),
    path("cases/<str:number>/materials/<int:material_id>/", views.material_page, name="material"),
    path("cases/<str:number>/materials/<int:material_id>/file", views.material_file, name="material_file"),
]
