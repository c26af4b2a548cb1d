"""Staff addresses of consultation, complaints and ratings, mounted by the project at /workbench/feedback/."""

from django.urls import path

from . import staff

app_name = "feedback_staff"

urlpatterns = [
    path("", staff.complaints, name="index"),
    path("complaints/", staff.complaints, name="complaints"),
    path("complaints/<str:number>/", staff.complaint, name="complaint"),
    path("questions/", staff.questions, name="questions"),
    path("questions/<int:pk>/", staff.question, name="question"),
    path("follow-ups/", staff.follow_ups, name="follow_ups"),
    path("follow-ups/<int:pk>/", staff.follow_up, name="follow_up"),
    path("appeals/", staff.appeals, name="appeals"),
    path("appeals/<int:pk>/decide/", staff.decide, name="decide"),
]
