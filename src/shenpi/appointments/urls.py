from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("", views.items, name="items"),
    path("mine/", views.mine, name="mine"),
    path("items/<str:code>/", views.item, name="item"),
    path("items/<str:code>/<str:window>/<str:day>/", views.slots, name="slots"),
    path("bookings/<str:code>/", views.booking, name="booking"),
    path("bookings/<str:code>/cancel/", views.cancel, name="cancel"),
]
