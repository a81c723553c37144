"""URL configuration: Wagtail's admin and page serving, plus the few plain Django views."""

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from website import views

handler500 = "website.views.server_error"

urlpatterns = [
    # The door (its page and the JSON endpoints its scanners call) before Wagtail's admin: a
    # scan skips the admin's wrapper; the door page wraps itself in it (checkin/urls.py).
    path("admin/checkin/", include("checkin.urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("search/", views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("api/v1/", include("booking.api.urls")),
    path("", include("booking.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page serving catches everything else, so it comes last.
urlpatterns += [path("", include(wagtail_urls))]
