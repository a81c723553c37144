from django.urls import path
from wagtail.admin.auth import require_admin_access
from wagtail.utils.urlpatterns import decorate_urlpatterns

from checkin import views

app_name = "checkin"

# Mounted at /admin/checkin/ by website/urls.py, before Wagtail's admin URLs: a scan skips the
# admin's wrapper. The door page is an admin page, so it gets the wrapper as Wagtail's admin
# URLconf gives it to each of its views; the JSON endpoints guard themselves with the same
# refusals (checkin/access.py).
urlpatterns = [
    *decorate_urlpatterns([path("", views.door, name="door")], require_admin_access),
    path("preview/", views.preview, name="preview"),
    path("check-in/", views.check_in, name="check_in"),
    path("search/", views.search, name="search"),
    path("undo/", views.undo, name="undo"),
    path("list/", views.door_list, name="door_list"),
    path("guest-list/", views.guest_list, name="guest_list"),
    path("sync/", views.sync, name="sync"),
    # Public: they hold nothing but the door's own code (checkin/offline.py).
    path("service-worker.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
