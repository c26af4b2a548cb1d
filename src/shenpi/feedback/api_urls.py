"""This app's endpoints under /api/v1/ (composed with the api app's by shenpi/urls.py)."""

from django.urls import path

from . import api_views

v1: list = [
    path("feedback/questions/", api_views.QuestionListView.as_view(), name="feedback-question-list"),
    path("feedback/questions/<str:question_id>/", api_views.QuestionDetailView.as_view(),
         name="feedback-question-detail"),
    path("feedback/questions/<str:question_id>/answer/", api_views.QuestionAnswerView.as_view(),
         name="feedback-question-answer"),
    path("feedback/complaints/", api_views.ComplaintListView.as_view(), name="feedback-complaint-list"),
    path("feedback/complaints/<str:number>/", api_views.ComplaintDetailView.as_view(),
         name="feedback-complaint-detail"),
    path("feedback/complaints/<str:number>/answer/", api_views.ComplaintAnswerView.as_view(),
         name="feedback-complaint-answer"),
    path("feedback/ratings/", api_views.RatingListView.as_view(), name="feedback-rating-list"),
]
