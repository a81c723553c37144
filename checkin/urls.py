from django.urls import path

from checkin import views

app_name = "checkin"

# Mounted under the Wagtail admin (checkin/wagtail_hooks.py), so each view needs a login.
urlpatterns = [
    path("", views.door, name="door"),
    path("preview/", views.preview, name="preview"),
    path("check-in/", views.check_in, name="check_in"),
    path("search/", views.search, name="search"),
    path("undo/", views.undo, name="undo"),
]
