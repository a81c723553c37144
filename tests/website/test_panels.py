"""The seam through which other apps fill a panel of a page's editor (website/panels.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.forms import Media
from django.test import RequestFactory
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.components import Component

from website.models import ShowPage
from website.panels import HookPanel

pytestmark = pytest.mark.django_db

HOOK = "test_show_page_extra"


class Greeting(Component):
    class Media:
        css = {"all": ["greeting.css"]}

    def __init__(self, page):
        self.page = page

    def render_html(self, parent_context=None):
        return format_html("<p data-greeting>{}</p>", self.page.title)


def bound(page):
    request = RequestFactory().get("/admin/")
    request.user = AnonymousUser()
    panel = HookPanel(HOOK, heading="Extra").bind_to_model(ShowPage)
    return panel.get_bound_panel(instance=page, request=request, form=None)


def test_a_panel_nobody_fills_is_left_out():
    assert not bound(ShowPage(title="Hamlet")).is_shown()


def test_a_panel_shows_what_the_hooks_return_for_the_page():
    with (
        hooks.register_temporarily(HOOK, lambda page, request: Greeting(page)),
        hooks.register_temporarily(HOOK, lambda page, request: None),
    ):
        panel = bound(ShowPage(title="Hamlet"))
        assert panel.is_shown()
        assert panel.render_html().strip() == "<p data-greeting>Hamlet</p>"
        assert str(panel.media) == str(Media(css={"all": ["greeting.css"]}))
