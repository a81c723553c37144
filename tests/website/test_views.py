"""The site's plain views: health check, 404, sitemap, robots.txt and search."""

from unittest import mock
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup
from django.db import InterfaceError, OperationalError
from django.test import Client

from tests.website.factories import make_content_page, make_show, make_show_index


def test_healthz_answers_ok_after_a_database_round_trip(client, db, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_down(client, db):
    with mock.patch("website.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_unknown_address_gets_the_friendly_404_page(client, home_page):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find("h1").get_text(strip=True) == "This page is not on the programme"
    assert soup.find("form", attrs={"role": "search"})["action"] == "/search/"
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"


def test_500_page_renders_without_a_request_or_database():
    from django.template import loader

    html = loader.get_template("500.html").render()
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("h1").get_text(strip=True) == "Something went wrong on our side"


@pytest.mark.parametrize(
    ("error", "database_answers", "status", "heading"),
    [
        (OperationalError("connection refused"), False, 503, "We will be back in a moment"),
        (InterfaceError("connection already closed"), False, 503, "We will be back in a moment"),
        # SQLite reports a malformed query as an OperationalError: a bug, not an outage.
        (OperationalError("unterminated string"), True, 500, "Something went wrong on our side"),
        (ValueError("a bug"), True, 500, "Something went wrong on our side"),
    ],
)
def test_a_database_outage_answers_503_and_a_bug_500_with_pages_that_need_no_database(
    home_page, error, database_answers, status, heading, django_assert_num_queries
):
    client = Client(raise_request_exception=False)
    with (
        mock.patch("website.views.SearchForm", side_effect=error),
        mock.patch("website.views.database_answers", return_value=database_answers),
        django_assert_num_queries(0),
    ):
        response = client.get("/search/?q=x")
    assert response.status_code == status
    assert BeautifulSoup(response.content, "html.parser").find("h1").get_text() == heading
    if status == 503:
        assert response["Retry-After"] == "30"


def test_sitemap_lists_every_live_page_and_nothing_else(client, home_page):
    index = make_show_index(home_page)
    show = make_show(index)
    about = make_content_page(home_page)
    draft = make_content_page(home_page, live=False)

    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    namespace = {"sitemap": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.content)
    locations = {loc.text for loc in root.findall("sitemap:url/sitemap:loc", namespace)}
    assert locations == {page.full_url for page in (home_page, index, show, about)}
    assert draft.full_url not in locations


def test_robots_txt_keeps_crawlers_out_of_the_admin_and_points_to_the_sitemap(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


@pytest.mark.parametrize("query", ["tempest", "Tempest"])
def test_search_finds_live_pages(client, home_page, query):
    index = make_show_index(home_page)
    make_show(index, title="The Tempest", summary="A storm on a bare stage.")
    make_show(index, title="Waiting for Godot")

    response = client.get("/search/", {"q": query})
    soup = BeautifulSoup(response.content, "html.parser")
    titles = [h.get_text(strip=True) for h in soup.select(".search-result__title")]
    assert titles == ["The Tempest"]
    assert soup.find(attrs={"role": "status"}).get_text(" ", strip=True) == (
        "1 result for “" + query + "”"
    )


def test_search_without_a_query_shows_only_the_form(client, db):
    response = client.get("/search/")
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find("input", attrs={"name": "q"})["value"] == ""
    assert soup.select(".search-result") == []


@pytest.mark.parametrize("query", ["\x00", "Tempest\x00"])
def test_search_refuses_a_nul_character_with_a_message_next_to_the_field(client, home_page, query):
    make_show(make_show_index(home_page), title="The Tempest")

    response = client.get("/search/", {"q": query})

    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    error = soup.find(id="search-page-q-error")
    assert error.get_text(strip=True) == "Null characters are not allowed."
    assert soup.find(id="search-page-q")["aria-describedby"] == "search-page-q-error"
    assert soup.select(".search-result") == []


def test_search_refuses_a_query_longer_than_its_field_with_a_message(client, home_page):
    response = client.get("/search/", {"q": "t" * 201})

    soup = BeautifulSoup(response.content, "html.parser")
    assert "at most 200 characters" in soup.find(id="search-page-q-error").get_text()
    assert soup.select(".search-result") == []


@pytest.mark.parametrize("page", ["\x00", "-1", "abc", "9" * 30])
def test_search_answers_any_page_number(client, home_page, page):
    make_show(make_show_index(home_page), title="The Tempest")

    response = client.get("/search/", {"q": "tempest", "page": page})

    soup = BeautifulSoup(response.content, "html.parser")
    titles = [h.get_text(strip=True) for h in soup.select(".search-result__title")]
    assert titles == ["The Tempest"]


@pytest.mark.parametrize("value", ["\x00", "abc", "²", "9" * 30])
def test_show_pages_answer_any_page_or_performance_parameter(client, home_page, value):
    index = make_show_index(home_page)
    show = make_show(index)

    assert client.get(index.url, {"page": value}).status_code == 200
    assert client.get(show.url, {"performance": value}).status_code == 200


@pytest.mark.parametrize("query", ['"', 'a"b', '"la tempesta', "("])
def test_search_answers_a_stray_quote_or_bracket(client, home_page, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/admin/login/", "/booking/show/1/", "/search/"])
def test_a_form_declared_in_another_charset_than_utf8_gets_400_not_500(home_page, url):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = "a" * 32
    response = client.post(
        url,
        "name=Ada",
        content_type="application/x-www-form-urlencoded; charset=ISO-8859-1",
        headers={"x-csrftoken": "a" * 32},
    )
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()
