"""Available seats: one formula, computed in the database, for one or many performances."""

import pytest

from booking.models import Performance
from tests.booking.factories import book, book_and_confirm, make_performance


def availability(performance):
    return Performance.objects.with_seat_counts().get(pk=performance.pk)


@pytest.mark.django_db
def test_capacity_plus_additional_minus_occupied_minus_confirmed(home_page):
    performance = make_performance(venue_capacity=50, additional_seats=5, manually_occupied_seats=8)
    book_and_confirm(performance, seats=3)
    book_and_confirm(performance, seats=4)
    book(performance, seats=6)  # pending: holds no seat

    performance = availability(performance)
    assert performance.confirmed_seats == 7
    assert performance.capacity - performance.confirmed_seats == 50 + 5 - 8 - 7
    assert performance.available_seats == 40


@pytest.mark.django_db
def test_cancelled_and_expired_reservations_hold_no_seats(home_page):
    from booking import services

    performance = make_performance(venue_capacity=10)
    cancelled = book_and_confirm(performance, seats=4)
    services.cancel(cancelled.reservation.pk)
    assert availability(performance).available_seats == 10


@pytest.mark.django_db
def test_overrides_that_overbook_show_zero_available_never_negative(home_page):
    performance = make_performance(venue_capacity=10)
    book_and_confirm(performance, seats=6)
    Performance.objects.filter(pk=performance.pk).update(manually_occupied_seats=7)

    performance = availability(performance)
    assert performance.capacity - performance.confirmed_seats == -3
    assert performance.available_seats == 0
    assert performance.booking_state == "sold_out"


@pytest.mark.django_db
def test_listing_many_performances_costs_one_query(home_page, django_assert_num_queries):
    performances = [make_performance(venue_capacity=20) for _ in range(12)]
    for performance in performances[:6]:
        book_and_confirm(performance, seats=2)

    with django_assert_num_queries(1):
        listed = list(Performance.objects.with_seat_counts().select_related("venue"))
    assert sorted(p.available_seats for p in listed) == [18] * 6 + [20] * 6
