"""Which responses tell nginx it may share them between visitors: fresh until the end of the
second they were rendered in (Expires), then served stale for at most one more second while
the next copy renders (Cache-Control: stale-while-revalidate).

nginx stores only responses that allow stale-while-revalidate (infra/nginx, ADR 0012); the
deployment tests check nginx's side. Here: anonymous page views are marked, and nothing
personal ever is.
"""

import time

import pytest
from django.urls import reverse
from django.utils.http import http_date

from tests.booking.factories import after_commit, make_performance
from tests.staff import staff
from tests.website.factories import make_content_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    return make_performance().show


def shared(response):
    """The response's Expires if it is marked as shared, else None."""
    if "stale-while-revalidate=1" not in response.get("Cache-Control", ""):
        return None
    assert set(response["Cache-Control"].split(", ")) == {"public", "stale-while-revalidate=1"}
    return response["Expires"]


def shared_until_the_end_of_this_second(response):
    # Absolute: until the end of the second the page was rendered in, so under a second stale
    # (then at most one more second while nginx renders the next copy).
    now = int(time.time())
    return shared(response) in {http_date(now), http_date(now - 1)}


def test_anonymous_page_views_are_shared_for_one_second_and_set_no_cookie(client, home_page, show):
    about = make_content_page(home_page, title="Chi siamo", slug="chi-siamo")
    for url in (home_page.url, show.get_parent().url, show.url, about.url):
        response = client.get(url)
        assert response.status_code == 200
        assert shared_until_the_end_of_this_second(response), url
        assert not response.cookies, url
    assert shared_until_the_end_of_this_second(client.head(show.url))


def test_a_logged_in_editor_sees_pages_and_previews_that_are_never_shared(client, show):
    client.force_login(staff("Editors"))
    assert shared(client.get(show.url)) is None
    preview = client.get(reverse("wagtailadmin_pages:view_draft", args=[show.pk]))
    assert preview.status_code == 200
    assert shared(preview) is None


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_a_page_rendered_for_a_visitors_own_cookies_is_not_shared(client, show, cookie):
    # A session means a login or a page password; a messages cookie, a message for them.
    client.cookies[cookie] = "anything"
    assert shared(client.get(show.url)) is None


def test_a_returning_visitors_csrf_cookie_does_not_keep_the_page_to_them(client, show):
    client.cookies["csrftoken"] = "x" * 32
    response = client.get(show.url)
    assert shared_until_the_end_of_this_second(response)
    assert not response.cookies


def test_posts_searches_and_booking_pages_are_never_shared(client, show):
    performance = show.performances.get()
    with after_commit():
        booked = client.post(
            reverse("booking:book", args=[show.pk]),
            {"performance": performance.pk, "name": "Ada", "email": "ada@example.org"},
        )
    assert booked.status_code == 200  # errors shown on the page again
    assert shared(booked) is None
    assert shared(client.get(reverse("search"), {"q": "tempesta"})) is None
    assert shared(client.get("/no-such-page/")) is None
