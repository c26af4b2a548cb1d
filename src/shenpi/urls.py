from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from shenpi.accounts.views import StaffLoginView
from shenpi.api import urls as api_urls
from shenpi.exchange import api_urls as exchange_api
from shenpi.feedback import api_urls as feedback_api
from shenpi.online import api_urls as online_api
from shenpi.supervision import api_urls as supervision_api
from shenpi.workbench.login import AdminLoginForm, StaffLoginForm

# A failure no view answered: 503 while the database is out of reach, else a plain 500 (shenpi.web).
handler500 = "shenpi.web.server_error"

admin.site.site_header = f"{settings.CENTRE_NAME} · 管理后台"
admin.site.site_title = "审批平台管理"
admin.site.index_title = "事项、流程、日历与用户维护"
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("login/", StaffLoginView.as_view(authentication_form=StaffLoginForm), name="login"),
    path("", include("shenpi.accounts.urls")),  # the second factor: /login/verify/, /workbench/second-factor/
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("workbench/", include("shenpi.workbench.urls")),
    # Staff pages of other apps, in the workbench's frame (its navigation links them by name).
    path("workbench/prereview/", include("shenpi.online.staff_urls")),  # 网上预审
    path("workbench/feedback/", include("shenpi.feedback.staff_urls")),  # 咨询/投诉/好差评
    path("workbench/appointments/", include("shenpi.appointments.staff_urls")),  # 预约
    path("workbench/identity/", include("shenpi.applicants.staff_urls")),  # 窗口现场核验
    path("workbench/projects/", include("shenpi.joint.urls")),  # 项目、阶段并联审批、网上联审、重点项目
    path("workbench/fees/", include("shenpi.fees.urls")),  # 收费、票据、日结、对账、月汇总
    path("workbench/licences/", include("shenpi.licences.urls")),  # 制证、电子证照库
    path("workbench/delivery/", include("shenpi.delivery.urls")),  # 送达
    path("pay/", include("shenpi.fees.public_urls")),  # 网上缴费 and the payment gateway's notifications
    path("licence/", include("shenpi.licences.public_urls")),  # 证照核验 (the QR code's page), public
    path("courier/", include("shenpi.delivery.public_urls")),  # the courier's tracking pushes (邮寄送达)
    path("supervision/", include("shenpi.supervision.urls")),
    path("performance/", include("shenpi.performance.urls")),
    path("reports/", include("shenpi.reports.urls")),  # 统计报表, the statistics home and the reports
    path("wall/", include("shenpi.reports.wall_urls")),  # 大屏: the hall's wall screen, live figures of today
    path("audit/security/", include("shenpi.security.urls")),  # 安全审计: the audit administrator's only
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    # The split view serves its start-up script as a file: the CSP forbids inline scripts.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    # /api/v1/: the api app's endpoints and those of the apps above it, in one namespace.
    path("api/", include((api_urls.versioned(api_urls.v1 + supervision_api.v1 + feedback_api.v1 + online_api.v1
                                             + exchange_api.v1), "api"))),
    # The public site (政务服务网) at the root: guides, online application, query, publicity, feedback.
    path("account/", include("shenpi.applicants.urls")),
    path("apply/", include("shenpi.online.urls")),
    path("", include("shenpi.feedback.urls")),  # /consult/, /complaints/, /ratings/
    path("appointments/", include("shenpi.appointments.urls")),
    path("", include("shenpi.portal.urls")),
]
