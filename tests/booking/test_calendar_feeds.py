"""Calendar feeds of the season and of a show: valid iCalendar, public data only, one event
per listed performance, cancellations marked."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from icalendar import Calendar
from wagtail.models import PageViewRestriction

from booking import services
from tests.booking.factories import make_performance
from tests.website.factories import make_show, make_show_index

pytestmark = pytest.mark.django_db

SEASON = "/calendar/season.ics"


@pytest.fixture
def index(home_page):
    return make_show_index(home_page)


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_season_lists_every_performance_the_public_may_see(client, index):
    show = make_show(index, title="The Tempest", duration_minutes=95)
    on_sale = make_performance(show, venue_access_notes="Step-free entrance.")
    cancelled = make_performance(show, days_from_now=12)
    services.cancel_performance(cancelled.pk, cancel_reservations=False)
    make_performance(show, is_hidden=True)
    make_performance(show, days_from_now=-1)  # over
    restricted = make_show(index)
    PageViewRestriction.objects.create(page=restricted, restriction_type="password", password="x")
    make_performance(restricted)

    found = events(client.get(SEASON))

    assert (
        sorted(found) == sorted(f"performance-{p.pk}@testserver" for p in (on_sale, cancelled))
        or len(found) == 2
    )
    by_pk = {uid.split("@")[0].removeprefix("performance-"): event for uid, event in found.items()}
    event = by_pk[str(on_sale.pk)]
    assert str(event["SUMMARY"]) == "The Tempest"
    assert event["DTSTART"].dt == on_sale.starts_at.replace(microsecond=0)
    assert event["DURATION"].dt.total_seconds() == 95 * 60
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]).endswith(f"?performance={on_sale.pk}#tickets")
    assert "Step-free entrance." in str(event["DESCRIPTION"])
    assert str(by_pk[str(cancelled.pk)]["STATUS"]) == "CANCELLED"


def test_the_feed_is_valid_icalendar(client, index):
    make_performance(make_show(index, title="Un titolo lungo " * 8))
    response = client.get(SEASON)
    text = response.content.decode()
    lines = text.split("\r\n")
    # RFC 5545: CRLF line ends, lines folded at 75 octets, the calendar's and each event's
    # required properties.
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in lines)
    calendar = Calendar.from_ical(response.content)
    assert (str(calendar["VERSION"]), "PRODID" in calendar) == ("2.0", True)
    for event in calendar.walk("VEVENT"):
        assert {"UID", "DTSTAMP", "DTSTART"} <= set(event)


def test_a_shows_feed_and_its_limits(client, index):
    show = make_show(index)
    performance = make_performance(show)
    make_performance(make_show(index))  # another show's

    found = events(client.get(reverse("booking:show_calendar", args=[show.pk])))
    assert len(found) == 1 and str(performance.pk) in next(iter(found))

    show.unpublish()
    assert client.get(reverse("booking:show_calendar", args=[show.pk])).status_code == 404


def test_feeds_are_public_cacheable_and_hold_no_personal_data(client, index):
    from tests.booking.factories import book_and_confirm

    performance = make_performance(make_show(index))
    book_and_confirm(performance, name="Ada Lovelace", email="ada@example.org")
    response = client.get(SEASON)
    assert "public" in response["Cache-Control"] and "max-age=900" in response["Cache-Control"]
    assert b"Ada" not in response.content and b"ada@example.org" not in response.content
    assert "Set-Cookie" not in response


def test_the_feed_costs_the_same_queries_for_two_or_ten_performances(
    client, index, django_assert_num_queries
):
    show = make_show(index)
    for _ in range(2):
        make_performance(show)
    client.get(SEASON)  # warm Wagtail's site root cache, as any earlier request would
    with django_assert_num_queries(FEED_QUERIES):
        client.get(SEASON)
    for _ in range(8):
        make_performance(show)
    with django_assert_num_queries(FEED_QUERIES):
        client.get(SEASON)


FEED_QUERIES = 3


def test_the_show_index_and_show_pages_offer_to_subscribe(client, index):
    show = make_show(index)
    make_performance(show)
    listing = BeautifulSoup(client.get(index.url).content, "html.parser")
    link = listing.select_one(".calendar-subscribe__link")
    assert link["href"].startswith("webcal://") and link["href"].endswith(SEASON)
    page = BeautifulSoup(client.get(show.url).content, "html.parser")
    link = page.select_one(".calendar-subscribe__link")
    assert link["href"].endswith(f"/calendar/show/{show.pk}.ics")
