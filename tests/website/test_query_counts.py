"""Pinned query counts: the home page and the show index cost the same with 3 or 30 shows."""

import pytest
from django.core.management import call_command

from tests.website.factories import make_image, make_show, make_show_index

# Measured once and pinned: a change here is a change in how the pages query the database.
HOME_PAGE_QUERIES = 12
SHOW_INDEX_QUERIES = 15
# The demo home page also has a call to action that links to another page.
DEMO_HOME_PAGE_QUERIES = 14
DEMO_SHOW_INDEX_QUERIES = 15
# The show page reads all its performances, with availability, in one query.
SHOW_PAGE_QUERIES = 12


@pytest.fixture
def shows_with_images(home_page):
    def build(count):
        index = make_show_index(home_page)
        for number in range(count):
            # Half upcoming, half past, every one with its own image.
            days = 10 + number if number % 2 else -100 - number
            make_show(index, days_from_now=days, hero_image=make_image(f"Poster {number}"))
        return index

    return build


@pytest.mark.parametrize("count", [3, 30])
def test_home_page_queries_do_not_grow_with_the_number_of_shows(
    client, home_page, shows_with_images, django_assert_num_queries, count
):
    shows_with_images(count)
    client.get(home_page.url)
    with django_assert_num_queries(HOME_PAGE_QUERIES):
        response = client.get(home_page.url)
    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_show_index_queries_do_not_grow_with_the_number_of_shows(
    client, shows_with_images, django_assert_num_queries, count
):
    index = shows_with_images(count)
    client.get(index.url)
    with django_assert_num_queries(SHOW_INDEX_QUERIES):
        response = client.get(index.url)
    assert response.status_code == 200


def test_demo_pages_query_counts_are_pinned(client, db, django_assert_num_queries):
    call_command("load_demo", force=True, verbosity=0)
    for url, expected in [("/", DEMO_HOME_PAGE_QUERIES), ("/spettacoli/", DEMO_SHOW_INDEX_QUERIES)]:
        client.get(url)
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_show_page_queries_do_not_grow_with_the_number_of_performances(
    client, home_page, django_assert_num_queries, count
):
    from tests.booking.factories import book_and_confirm, make_performance, make_venue

    index = make_show_index(home_page)
    show = make_show(index, hero_image=make_image("Poster"))
    venues = [make_venue(), make_venue()]
    for number in range(count):
        performance = make_performance(show, days_from_now=number + 2, venue=venues[number % 2])
        book_and_confirm(performance)
    client.get(show.url)
    with django_assert_num_queries(SHOW_PAGE_QUERIES):
        response = client.get(show.url)
    assert response.status_code == 200
