"""The API's views: Django REST framework's generic views, read-only and anonymous.

Every answer is the same for every caller, so nginx may share it for the pages' micro-cache
second (keyed by the caller's Origin, which the CORS headers depend on), and carries an ETag
of its content: a caller that asks again with If-None-Match gets a 304 when nothing changed.
"""

import time
from pathlib import Path

import django_filters
from django.http import Http404, HttpResponse
from django.middleware.http import ConditionalGetMiddleware
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.decorators import decorator_from_middleware, method_decorator
from django.views.decorators.http import require_safe
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from booking import feeds
from booking.api.serializers import PerformanceSerializer, ShowSerializer
from booking.models import BookingState, Performance
from booking.tickets import absolute_url
from website.cache import allow_micro_cache
from website.models import CARD_IMAGE_PREFETCH, ShowPage

OPENAPI_FILE = Path(__file__).with_name("openapi.yaml")

conditional_get = decorator_from_middleware(ConditionalGetMiddleware)


class SeasonPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


def shared_for_a_second(request, response, started):
    """An answer every caller may share for as long as the show page (the micro-cache's
    bound, website/cache.py; `started` as there); a caller with cookies, and so its own copy,
    asks again every time (If-None-Match)."""
    if response.status_code == 200 and not allow_micro_cache(request, response, started):
        patch_cache_control(response, public=True, no_cache=True)
    return response


@method_decorator(conditional_get, name="dispatch")
class PublicReadOnlyView(generics.GenericAPIView):
    """Anonymous and read-only: no session, no CSRF, no user; JSON only."""

    authentication_classes = ()
    permission_classes = ()
    renderer_classes = (JSONRenderer,)
    parser_classes = ()
    pagination_class = SeasonPagination
    filter_backends = (DjangoFilterBackend,)
    http_method_names = ["get", "head", "options"]

    def handle_exception(self, exc):
        # Django's 404 names the model ("No ShowPage matches…"): say REST framework's own,
        # translated "Not found." instead.
        if isinstance(exc, Http404):
            exc = NotFound()
        return super().handle_exception(exc)

    def dispatch(self, request, *args, **kwargs):
        self.started = time.time()
        return super().dispatch(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return shared_for_a_second(request, response, self.started)


def public_shows():
    return ShowPage.objects.live().public()


class ShowFilter(django_filters.FilterSet):
    # true: shows still running or still to come; false: shows whose run has ended.
    upcoming = django_filters.BooleanFilter(method="filter_upcoming")

    class Meta:
        model = ShowPage
        fields = []

    def filter_upcoming(self, queryset, name, value):
        return queryset.upcoming() if value else queryset.past()


class ShowList(PublicReadOnlyView, generics.ListAPIView):
    """The shows the public may see, by opening date; `?upcoming=` orders them as the show
    index does (past runs, the latest first)."""

    serializer_class = ShowSerializer
    filterset_class = ShowFilter

    def get_queryset(self):
        return (
            public_shows()
            .with_last_date()
            .select_related("hero_image")
            .prefetch_related(CARD_IMAGE_PREFETCH)
            .order_by("opening_date", "pk")
        )


class ShowDetail(PublicReadOnlyView, generics.RetrieveAPIView):
    serializer_class = ShowSerializer
    filter_backends = ()
    lookup_url_kwarg = "id"

    def get_queryset(self):
        return public_shows().select_related("hero_image").prefetch_related(CARD_IMAGE_PREFETCH)


class PerformanceFilter(django_filters.FilterSet):
    show = django_filters.NumberFilter(field_name="show")
    venue = django_filters.NumberFilter(field_name="venue")
    # Days in the site's time zone: the database converts each start (the __date lookup), so
    # any valid date is a valid bound, 0001-01-01 and 9999-12-31 included.
    from_date = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__gte")
    to_date = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__lte")
    # Checked here, applied in PerformanceList.filter_queryset: a performance's state is
    # worked out in Python, by Performance.booking_state, as on the show page.
    state = django_filters.ChoiceFilter(choices=BookingState.choices, method="keep_all")

    class Meta:
        model = Performance
        fields = []

    def keep_all(self, queryset, name, value):
        return queryset


class PerformanceList(PublicReadOnlyView, generics.ListAPIView):
    """Every listed performance of the season (not hidden, not started), soonest first."""

    serializer_class = PerformanceSerializer
    filterset_class = PerformanceFilter

    def get_queryset(self):
        return feeds.season_performances()

    def filter_queryset(self, queryset):
        performances = super().filter_queryset(queryset)
        state = self.request.query_params.get("state")
        if not state:
            return performances
        return [p for p in performances if p.booking_state == state]


class ApiRoot(PublicReadOnlyView):
    """Where the API's endpoints and its description are."""

    pagination_class = None
    filter_backends = ()

    def get(self, request):
        return Response(
            {
                "shows": absolute_url(reverse("api:shows")),
                "performances": absolute_url(reverse("api:performances")),
                "openapi": absolute_url(reverse("api:openapi")),
            }
        )


@require_safe
@conditional_get
def openapi(request):
    """The API's OpenAPI 3.1 description (tests/booking/test_api.py keeps it true)."""
    started = time.time()
    response = HttpResponse(
        OPENAPI_FILE.read_bytes(), content_type="application/yaml; charset=utf-8"
    )
    return shared_for_a_second(request, response, started)
