from django.urls import path

from . import licence_views, views

app_name = "applicants"

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("verify/", views.verify, name="verify"),
    path("verify/resend/", views.resend, name="resend"),
    path("login/", views.login_view, name="login"),
    path("login/unified/", views.unified_start, name="unified_start"),
    path("login/unified/callback/", views.unified_callback, name="unified_callback"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.reset_start, name="reset"),
    path("password/confirm/", views.reset_confirm, name="reset_confirm"),
    path("real-name/", views.real_name, name="real_name"),
    path("cases/add/", views.claim, name="claim"),
    path("stages/<str:number>/", views.stage_detail, name="stage"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/withdraw/", views.withdraw, name="withdraw"),
    path("cases/<str:number>/notices/<int:notice_id>.pdf", views.case_notice_pdf, name="notice_pdf"),
    path("licences/", licence_views.my_licences, name="licences"),
    path("licences/<str:identifier>/", licence_views.licence_detail, name="licence"),
    path("licences/<str:identifier>/pdf/", licence_views.licence_pdf, name="licence_pdf"),
]
