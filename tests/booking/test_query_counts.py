"""Pinned query counts of the booker's two writes: what the outbox adds is two inserts each."""

import pytest
from django.urls import reverse

from booking.models import BookingEmail
from tests.booking.factories import book, make_performance
from tests.booking.test_views import valid_data

pytestmark = pytest.mark.django_db

# Measured once and pinned, savepoints included. The booking: the show page and its view
# restrictions, the performance locked and counted, the pending booking looked for, a free
# reference, the reservation, then the outbox's email row and its task row.
BOOKING_QUERIES = 13
# The confirmation: the reservation found by its link, the performance and the reservation
# locked, the recount, the update, then the outbox's email row and its task row.
CONFIRM_QUERIES = 9


def test_a_booking_costs_a_fixed_number_of_queries(client, home_page, django_assert_num_queries):
    performance = make_performance()
    with django_assert_num_queries(BOOKING_QUERIES):
        response = client.post(
            reverse("booking:book", args=[performance.show.pk]), valid_data(performance)
        )
    assert response.status_code == 302
    assert BookingEmail.objects.count() == 1


def test_a_confirmation_costs_a_fixed_number_of_queries(
    client, home_page, django_assert_num_queries
):
    booked = book(make_performance())
    client.get(f"/b/{booked.token}/")
    with django_assert_num_queries(CONFIRM_QUERIES):
        response = client.post("/booking/reservation/confirm/")
    assert response.status_code == 302
    assert BookingEmail.objects.filter(kind="ticket").count() == 1
