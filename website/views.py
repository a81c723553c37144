"""Plain Django views of the public site: search, health check, robots.txt, server errors."""

import sys

from django.core.paginator import Paginator
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET
from django.views.defaults import server_error as default_server_error
from wagtail.models import Page
from wagtail.search.utils import parse_query_string

from website.forms import SearchForm

SEARCH_RESULTS_PER_PAGE = 10


@require_GET
def search(request):
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = None
    if query:
        # Wagtail's parser, not the raw text: quotes make a phrase, and a stray quote cannot
        # reach the database's full-text syntax (SQLite's FTS5 refuses an unbalanced one).
        __, parsed = parse_query_string(query, operator="and")
        pages = Page.objects.live().public().specific().search(parsed)
        results = Paginator(pages, SEARCH_RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "website/search.html", {"form": form, "search_query": query, "results": results}
    )


@never_cache
@require_GET
def healthz(request):
    """Liveness for the Compose health check: 200 when the database answers, 503 otherwise."""
    if not database_answers():
        return JsonResponse({"status": "unavailable", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def database_answers():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Disallow: /booking/",
        "Disallow: /b/",
        "Disallow: /t/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def server_error(request):
    """The 500 handler; a database that cannot be reached answers 503 "back in a moment".

    Both pages are standalone templates that need no database. Django calls this while it
    handles the exception, so the exception is at hand. An OperationalError alone does not
    mean an outage (SQLite reports a malformed query as one): the database must also fail to
    answer now.
    """
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError) and not database_answers():
        response = default_server_error(request, template_name="503.html")
        response.status_code = 503
        response["Retry-After"] = "30"
        return response
    return default_server_error(request)
