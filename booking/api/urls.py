from django.urls import path

from booking.api import views

app_name = "api"

urlpatterns = [
    path("", views.ApiRoot.as_view(), name="root"),
    path("openapi.yaml", views.openapi, name="openapi"),
    path("shows/", views.ShowList.as_view(), name="shows"),
    path("shows/<int:id>/", views.ShowDetail.as_view(), name="show"),
    path("performances/", views.PerformanceList.as_view(), name="performances"),
]
