"""Pinned query counts: the home page and the show index cost the same with 3 or 30 shows.

Each page is counted twice: with its cached fragments (ADR 0021) in memory, as a worker serves
it, and with them gone, as after an edit (Wagtail's own caches, the site's root paths and the
renditions, stay warm in both)."""

import pytest
from django.core.cache import caches
from django.core.management import call_command

from tests.website.factories import make_image, make_show, make_show_index

# Measured once and pinned: a change here is a change in how the pages query the database.
# Cold, the content version is one query more and the routing or the home page one less;
# warm, the settings and the menu's two queries are gone too.
HOME_PAGE_QUERIES = 9
HOME_PAGE_QUERIES_COLD = 12
SHOW_INDEX_QUERIES = 12
SHOW_INDEX_QUERIES_COLD = 15
# The demo home page also has a call to action that links to another page.
DEMO_HOME_PAGE_QUERIES = 11
DEMO_HOME_PAGE_QUERIES_COLD = 14
DEMO_SHOW_INDEX_QUERIES = 12
DEMO_SHOW_INDEX_QUERIES_COLD = 15
# The show page reads all its performances, with availability, in one query; warm, its
# hero image, the settings and the menu come from the cached fragments.
SHOW_PAGE_QUERIES = 8
SHOW_PAGE_QUERIES_COLD = 12


def count_cold_and_warm(client, url, assert_num_queries, cold, warm):
    """The queries of `url` with its fragments cached and with them gone."""
    client.get(url)
    caches["template_fragments"].clear()
    with assert_num_queries(cold):
        assert client.get(url).status_code == 200
    with assert_num_queries(warm):
        assert client.get(url).status_code == 200


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
    count_cold_and_warm(
        client,
        home_page.url,
        django_assert_num_queries,
        cold=HOME_PAGE_QUERIES_COLD,
        warm=HOME_PAGE_QUERIES,
    )


@pytest.mark.parametrize("count", [3, 30])
def test_show_index_queries_do_not_grow_with_the_number_of_shows(
    client, shows_with_images, django_assert_num_queries, count
):
    index = shows_with_images(count)
    count_cold_and_warm(
        client,
        index.url,
        django_assert_num_queries,
        cold=SHOW_INDEX_QUERIES_COLD,
        warm=SHOW_INDEX_QUERIES,
    )


def test_demo_pages_query_counts_are_pinned(client, db, django_assert_num_queries):
    call_command("load_demo", force=True, verbosity=0)
    for url, cold, warm in [
        ("/", DEMO_HOME_PAGE_QUERIES_COLD, DEMO_HOME_PAGE_QUERIES),
        ("/spettacoli/", DEMO_SHOW_INDEX_QUERIES_COLD, DEMO_SHOW_INDEX_QUERIES),
    ]:
        count_cold_and_warm(client, url, django_assert_num_queries, cold=cold, warm=warm)


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
    count_cold_and_warm(
        client,
        show.url,
        django_assert_num_queries,
        cold=SHOW_PAGE_QUERIES_COLD,
        warm=SHOW_PAGE_QUERIES,
    )
