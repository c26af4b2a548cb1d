from django.urls import path

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("accept/", views.accept, name="accept"),
    path("cases/", views.case_search, name="cases"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/act/", views.act, name="act"),
    path("cases/<str:number>/notices/<int:notice_id>.pdf", views.notice_pdf_view, name="notice_pdf"),
]
