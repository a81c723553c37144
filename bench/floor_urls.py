"""One view rendering a trivial template, with the site's middleware: the cheapest Django page."""

from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path

TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>{{ title }}</title><p>{{ title }}</p>"
)


def trivial(request):
    return TemplateResponse(request, TEMPLATE, {"title": "floor"})


urlpatterns = [path("", trivial)]
