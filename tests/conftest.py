"""Fixtures shared by the whole suite."""

import io
import logging

import pytest
from wagtail.models import Site

from website.models import HomePage


@pytest.fixture
def home_page(db):
    """The site's home page, created by the website app's data migration."""
    return HomePage.objects.get(pk=Site.objects.get(is_default_site=True).root_page_id)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded and generated images go to a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def log_output():
    """What the site's console handler (the one gunicorn and Compose collect) writes."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)
