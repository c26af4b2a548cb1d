"""The API, versioned in the path (/api/v1/…); anything else under /api/ answers JSON 404.

`v1` holds the endpoints of this app (items, cases, projects, licences, the calendar); apps above it
add their own (`<app>/api_urls.py`), composed with these by the project's urls.py through `versioned`."""

from django.urls import include, path, re_path

from . import joint_views, licence_views, views
from .errors import unknown_endpoint

v1 = [
    path("items/", views.ItemListView.as_view(), name="item-list"),
    path("items/<str:code>/", views.ItemDetailView.as_view(), name="item-detail"),
    path("cases/", views.CaseListView.as_view(), name="case-list"),
    path("cases/<str:number>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("cases/<str:number>/actions/", views.CaseActionView.as_view(), name="case-actions"),
    path("projects/", joint_views.ProjectListView.as_view(), name="project-list"),
    path("projects/<str:code>/", joint_views.ProjectDetailView.as_view(), name="project-detail"),
    path("stage-templates/", joint_views.StageTemplateListView.as_view(), name="stage-template-list"),
    path("stages/", joint_views.StageListView.as_view(), name="stage-list"),
    path("stages/<str:number>/", joint_views.StageDetailView.as_view(), name="stage-detail"),
    path("joint-reviews/", joint_views.ReviewListView.as_view(), name="joint-review-list"),
    path("joint-reviews/<str:number>/", joint_views.ReviewDetailView.as_view(), name="joint-review-detail"),
    path("joint-reviews/<str:number>/opinions/", joint_views.ReviewOpinionView.as_view(), name="joint-review-opinions"),
    path("joint-reviews/<str:number>/annotations/", joint_views.ReviewAnnotationView.as_view(),
         name="joint-review-annotations"),
    path("licences/", licence_views.LicenceListView.as_view(), name="licence-list"),
    path("licences/holder/", licence_views.HolderLicencesView.as_view(), name="licence-holder"),
    path("licences/<str:identifier>/", licence_views.LicenceDetailView.as_view(), name="licence-detail"),
    path("workdays/add", views.WorkdaysAddView.as_view(), name="workdays-add"),
    path("workdays/between", views.WorkdaysBetweenView.as_view(), name="workdays-between"),
    path("workdays/calendar/<str:year>/", views.CalendarYearView.as_view(), name="workdays-calendar"),
]



def versioned(endpoints: list) -> list:
    return [re_path(r"^(?P<version>v1)/", include(endpoints)), re_path(r"", unknown_endpoint)]
