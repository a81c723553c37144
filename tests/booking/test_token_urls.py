"""The token URLs (/b/ and /t/) answer only to well-formed tokens; anything else is the site's 404.

A response header must be Latin-1: a cookie holding any other character made gunicorn answer
with its bare 500 page, without the site's security headers.
"""

import pytest
from bs4 import BeautifulSoup

from booking.http import LINK_COOKIE
from tests.staff import staff

pytestmark = pytest.mark.django_db

WELL_FORMED = "A" * 43
NOT_TOKENS = [
    pytest.param("%E2%82%AC", id="euro-sign"),
    pytest.param("%F0%9F%8E%AD", id="emoji"),
    pytest.param("%E2%80%8B", id="zero-width-space"),
    pytest.param("%E2%80%AE", id="right-to-left-override"),
    pytest.param(f"{WELL_FORMED}%E2%82%AC", id="token-then-euro-sign"),
    pytest.param(f"%E2%80%8B{WELL_FORMED}", id="zero-width-space-then-token"),
    pytest.param(WELL_FORMED[:-1], id="one-character-short"),
    pytest.param(f"{WELL_FORMED}A", id="one-character-long"),
]


def assert_the_sites_not_found_page(response):
    assert response.status_code == 404
    if response.content:  # HEAD: the same status and headers, no body
        title = BeautifulSoup(response.content, "html.parser").find("h1").get_text()
        assert title == "This page is not on the programme"


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("token", NOT_TOKENS)
def test_the_link_url_refuses_anything_but_a_token_before_setting_a_cookie(
    client, home_page, method, token
):
    response = getattr(client, method)(f"/b/{token}/")

    assert_the_sites_not_found_page(response)
    assert LINK_COOKIE not in response.cookies
    for cookie in response.cookies.values():
        cookie.output(header="").encode("latin-1")


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("token", NOT_TOKENS)
@pytest.mark.parametrize("who", ["visitor", "Door staff"])
def test_the_qr_url_refuses_anything_but_a_token(client, home_page, method, token, who):
    if who != "visitor":
        client.force_login(staff(who))

    response = getattr(client, method)(f"/t/{token}/")

    assert_the_sites_not_found_page(response)
    assert LINK_COOKIE not in response.cookies


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_well_formed_token_still_reaches_the_views(client, home_page, method):
    link = getattr(client, method)(f"/b/{WELL_FORMED}/")
    assert link.status_code == 302
    assert link.cookies[LINK_COOKIE]["httponly"]

    # No such ticket, but the view answered: its 404 is private.
    ticket = getattr(client, method)(f"/t/{WELL_FORMED}/")
    assert ticket.status_code == 404
    assert ticket["X-Robots-Tag"] == "noindex, nofollow"
    client.force_login(staff("Door staff"))
    door = getattr(client, method)(f"/t/{WELL_FORMED}/")
    assert door.status_code == 200
    assert door["Referrer-Policy"] == "no-referrer"
