"""The door's counters count the confirmed seats booking's annotation counts, and the checked-in
ones among them."""

import pytest
from django.utils import timezone

from booking.models import Performance, Reservation, ReservationStatus
from checkin import services
from tests.booking.factories import book, book_and_confirm, make_performance

pytestmark = pytest.mark.django_db


def annotated_confirmed_seats(performance):
    return Performance.objects.with_confirmed_seats().get(pk=performance.pk).confirmed_seats


def test_the_door_counts_the_seats_booking_counts(home_page):
    performance = make_performance(venue_capacity=50, days_from_now=0.2)
    other = make_performance(performance.show, venue_capacity=50, days_from_now=2)
    assert services.seat_counts(performance) == {"checked_in_seats": 0, "confirmed_seats": 0}
    assert annotated_confirmed_seats(performance) == 0

    admitted = book_and_confirm(performance, seats=3).reservation
    book_and_confirm(performance, seats=2)
    book(performance, seats=4)  # pending: no seat
    cancelled = book_and_confirm(performance, seats=5).reservation
    book_and_confirm(other, seats=6)
    services.check_in(performance, by=None, reservation_id=admitted.pk)
    Reservation.objects.filter(pk=cancelled.pk).update(
        status=ReservationStatus.CANCELLED, cancelled_at=timezone.now()
    )

    assert services.seat_counts(performance) == {"checked_in_seats": 3, "confirmed_seats": 5}
    assert annotated_confirmed_seats(performance) == 5
