from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("guide/", views.guide, name="guide"),
    path("guide/<str:code>/", views.guide_item, name="guide_item"),
    path("guide/<str:code>/materials/<int:pk>/template/", views.material_template, name="material_template"),
    path("departments/", views.departments, name="departments"),
    path("departments/<str:code>/", views.department, name="department"),
    path("query/", views.query, name="query"),
    path("publicity/cases/", views.case_board, name="case_board"),
    path("publicity/results/", views.result_board, name="result_board"),
]
