from django.urls import include, path

from shenpi.appointments import window as appointments_window
from shenpi.feedback import staff as feedback_staff
from shenpi.online import prereview

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("accept/", views.accept, name="accept"),
    path("cases/", views.case_search, name="cases"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/act/", views.act, name="act"),
    path("cases/<str:number>/notices/<int:notice_id>.pdf", views.notice_pdf_view, name="notice_pdf"),
    path("prereview/", include(prereview.urlpatterns)),  # 网上预审 (shenpi.online)
    path("feedback/", include(feedback_staff.urlpatterns)),  # 咨询/投诉/好差评 (shenpi.feedback)
    path("appointments/", include(appointments_window.urlpatterns)),  # 预约 (shenpi.appointments)
]
