"""Pinned query counts of the door's scans: a change here is a change in what a scan costs."""

import json

import pytest

from booking.tokens import ticket_token
from tests.booking.factories import book_and_confirm, make_performance
from tests.staff import staff

pytestmark = pytest.mark.django_db

# Session, user, the two permissions, the profile's language and time zone, the performance,
# the reservation, the counters. Through Wagtail's admin wrapper a preview cost 8 (all the
# user's permissions and their groups' apart, the whole profile).
PREVIEW_QUERIES = 7
# As a preview, then the conditional update and the audit entry (Wagtail checks that its
# content type and user exist first) in a transaction (here a savepoint and its release),
# and the counters after it. Was 14.
CHECK_IN_QUERIES = 13
# A repeat is refused before any write: the preview's queries. Was 8.
REPEAT_CHECK_IN_QUERIES = 7
# Session, user, permissions, profile, the performance, the matches. Was 7.
SEARCH_QUERIES = 6

XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def scan(client, home_page):
    """A door staff's client and a scan of a confirmed ticket tonight, among other bookings."""
    performance = make_performance(venue_capacity=50, days_from_now=0.2)
    issued = [book_and_confirm(performance, name=f"Guest {n}", seats=2) for n in range(3)]
    issued[0].reservation.refresh_from_db()
    client.force_login(staff("Door staff"))
    body = {
        "performance": performance.pk,
        "code": ticket_token(issued[0].reservation.ticket_nonce),
    }
    return client, performance, json.dumps(body)


def post(client, url, body):
    return client.post(url, body, content_type="application/json", **XHR)


def test_a_preview_costs_a_pinned_number_of_queries(scan, django_assert_num_queries):
    client, _, body = scan
    with django_assert_num_queries(PREVIEW_QUERIES):
        assert post(client, "/admin/checkin/preview/", body).json()["state"] == "valid"


def test_a_check_in_costs_a_pinned_number_of_queries(scan, django_assert_num_queries):
    client, _, body = scan
    with django_assert_num_queries(CHECK_IN_QUERIES):
        assert post(client, "/admin/checkin/check-in/", body).json()["state"] == "checked_in"
    with django_assert_num_queries(REPEAT_CHECK_IN_QUERIES):
        answer = post(client, "/admin/checkin/check-in/", body).json()
    assert answer["state"] == "already_checked_in"


def test_a_search_costs_a_pinned_number_of_queries(scan, django_assert_num_queries):
    client, performance, _ = scan
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get(
            "/admin/checkin/search/", {"performance": performance.pk, "q": "guest"}, **XHR
        )
    assert len(response.json()["results"]) == 3
