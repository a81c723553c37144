"""Small builders for pages and images, so that each test sets up only what it needs."""

import datetime
import itertools

from django.conf import settings
from django.core.files.images import ImageFile
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file_jpeg
from wagtail.models import Locale, Page, Site

from website.models import ContentPage, HomePage, ShowIndexPage, ShowPage

_sequence = itertools.count(1)


def make_image(title="Poster", size=(800, 600), **fields):
    file = get_test_image_file_jpeg(filename=f"image-{next(_sequence)}.jpg", size=size)
    return get_image_model().objects.create(
        title=title, file=ImageFile(file.file, name=file.name), **fields
    )


def make_show_index(home, **fields):
    fields.setdefault("title", "Shows")
    fields.setdefault("slug", "shows")
    fields.setdefault("show_in_menus", True)
    return home.add_child(instance=ShowIndexPage(**fields))


def make_show(index, days_from_now=10, run_days=5, **fields):
    number = next(_sequence)
    opening = timezone.localdate() + datetime.timedelta(days=days_from_now)
    fields.setdefault("title", f"Show {number}")
    fields.setdefault("slug", f"show-{number}")
    fields.setdefault("opening_date", opening)
    fields.setdefault("closing_date", opening + datetime.timedelta(days=run_days))
    return index.add_child(instance=ShowPage(**fields))


def make_content_page(parent, **fields):
    number = next(_sequence)
    fields.setdefault("title", f"Page {number}")
    fields.setdefault("slug", f"page-{number}")
    return parent.add_child(instance=ContentPage(**fields))


def ensure_home_page():
    """The home page, rebuilt if a transactional test flushed the migration-made tree."""
    home = HomePage.objects.first()
    if home is not None:
        return home
    locale, _ = Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = root.add_child(instance=HomePage(title="AzioneLab", slug="home", locale=locale))
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    return home
