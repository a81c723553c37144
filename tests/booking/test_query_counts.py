"""Pinned query counts of the booker's two writes and of the worker's emails about them: what
the outbox adds is two inserts each."""

import pytest
from django.urls import reverse
from wagtail.models import Site

from booking import emails, services
from booking.models import BookingEmail, EmailKind, EmailStatus
from tests.booking.factories import book, make_performance
from tests.booking.test_views import valid_data

pytestmark = pytest.mark.django_db

# Measured once and pinned, savepoints included. The booking: the show page and its view
# restrictions, the performance locked and counted, the pending booking looked for, a free
# reference, the reservation, then the outbox's email row and its task row.
BOOKING_QUERIES = 13
# The confirmation: the performance behind the link locked (found through the link in the same
# query), the reservation locked, the recount, the update, then the outbox's email row and its
# task row.
CONFIRM_QUERIES = 8
# The worker sending a ticket, savepoints included: the outbox row locked with its reservation,
# show and venue in one query, the company's settings, the row marked sent, the ticket link's
# hash stored. The site's root paths (for the show's URL in the .ics) come from Wagtail's cache,
# as in a running worker.
TICKET_EMAIL_QUERIES = 6
# The worker sending a group request to the box office: the same, but the request, its show and
# venue in a query of their own (joining them for every booker's email cost each one more CPU
# than the query does), and no link to store.
GROUP_REQUEST_EMAIL_QUERIES = 8


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


def test_sending_a_ticket_costs_a_fixed_number_of_queries(home_page, django_assert_num_queries):
    booked = book(make_performance())
    services.confirm(booked.token)
    ticket = BookingEmail.objects.get(kind=EmailKind.TICKET)
    Site.get_site_root_paths()
    with django_assert_num_queries(TICKET_EMAIL_QUERIES):
        assert emails.deliver(ticket.pk) == EmailStatus.SENT


def test_sending_a_group_request_costs_a_fixed_number_of_queries(
    home_page, django_assert_num_queries
):
    performance = make_performance()
    services.request_group(
        performance.pk,
        name="Maria Montessori",
        email="maria@scuola.example",
        phone="",
        seats=performance.max_seats_per_booking + 1,
        message="",
    )
    request_email = BookingEmail.objects.get(kind=EmailKind.GROUP_REQUEST)
    with django_assert_num_queries(GROUP_REQUEST_EMAIL_QUERIES):
        assert emails.deliver(request_email.pk) == EmailStatus.SENT
