"""The waiting list's emails: the link that confirms a place in line, and the offer of seats
that freed up; each carries the booking's details and a way to leave the list."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.template.defaultfilters import date
from django.utils.timezone import localtime

from booking import services
from booking.models import BookingEmail, EmailKind, EmailStatus, Reservation, ReservationStatus
from tests.booking.factories import book_and_confirm, make_performance
from tests.booking.mailbox import link_token, send_queued_emails, sent_to

pytestmark = pytest.mark.django_db

WAITING = "waiting@example.org"
LEAVE = "No longer interested? Leave the waiting list"


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=2)


@pytest.fixture
def booked(performance):
    """The booking that sells the performance out."""
    return book_and_confirm(performance, seats=2)


def join(performance):
    place = services.join_waiting_list(performance.pk, name="Grace Hopper", email=WAITING, seats=1)
    send_queued_emails()
    [message] = sent_to(WAITING)
    return place, message


def html_of(message):
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return BeautifulSoup(content, "html.parser")


def leave_url(html):
    return html.find("a", string=LEAVE)["href"]


def when(value):
    """A time as the emails write it."""
    return date(localtime(value), "j F Y, H:i")


def test_the_waiting_list_email_confirms_the_place_and_can_leave_the_list(performance, booked):
    place, message = join(performance)
    place.refresh_from_db()

    assert message.subject == f"Confirm your place on the waiting list for {performance.show.title}"
    token = link_token(message)
    assert f"The link is valid until {when(place.link_expires_at)}." in message.body
    assert f"/b/{token}/cancel/" in message.body
    html = html_of(message)
    text = html.get_text()
    assert place.reference in text and "Grace Hopper" in text
    assert html.find("a", string="Confirm my place")["href"].endswith(f"/b/{token}/")
    assert leave_url(html).endswith(f"/b/{token}/cancel/")

    services.confirm(token)
    place.refresh_from_db()
    assert place.status == ReservationStatus.WAITING
    assert place.waiting_since is not None


def test_the_waiting_list_link_says_when_it_lapses_with_online_booking(home_page):
    # Booking closes within the link's usual validity: the email says so.
    performance = make_performance(venue_capacity=2, days_from_now=0.5)
    book_and_confirm(performance, seats=2)
    place, message = join(performance)
    place.refresh_from_db()

    assert place.link_expires_at == performance.booking_closes_at
    closes = when(performance.booking_closes_at)
    assert f"Online booking for this performance closes on {closes}" in message.body
    assert f"Online booking for this performance closes on {closes}" in html_of(message).get_text()


def test_a_cancellation_offers_the_seats_and_the_offer_link_books_them(client, performance, booked):
    place, joined = join(performance)
    token = link_token(joined)
    services.confirm(token)
    mail.outbox.clear()

    services.cancel(booked.reservation.pk)
    send_queued_emails()

    place.refresh_from_db()
    assert place.status == ReservationStatus.OFFERED
    [offer] = sent_to(WAITING)
    assert offer.subject.startswith(f"Seats are free for you: {performance.show.title}, ")
    deadline = when(place.offer_expires_at)
    assert f"We are holding the seats for you until {deadline}." in offer.body
    assert "they go to the next person on the waiting list" in offer.body
    # The offer carries the link of the waiting-list email: one link, which keeps working.
    assert link_token(offer) == token
    assert f"/b/{token}/cancel/" in offer.body
    html = html_of(offer)
    text = html.get_text()
    assert deadline in text
    assert place.reference in text and performance.venue.name in text
    assert html.find("a", string="Confirm booking")["href"].endswith(f"/b/{token}/")
    assert leave_url(html).endswith(f"/b/{token}/cancel/")

    assert client.get(f"/b/{token}/").status_code == 302
    assert client.post("/booking/reservation/confirm/").status_code == 302

    place.refresh_from_db()
    assert place.status == ReservationStatus.CONFIRMED
    send_queued_emails()
    ticket = sent_to(WAITING)[-1]
    assert ticket.subject == f"Your ticket for {performance.show.title} ({place.reference})"
    assert place.reference in html_of(ticket).get_text()


def test_the_offer_s_leave_link_gives_the_seats_up(client, performance, booked):
    place, joined = join(performance)
    services.confirm(link_token(joined))
    services.cancel(booked.reservation.pk)
    send_queued_emails()
    offer = sent_to(WAITING)[-1]

    client.get(leave_url(html_of(offer)).removeprefix("http://testserver"))
    assert client.post("/booking/reservation/cancel/").status_code == 302

    place.refresh_from_db()
    assert place.status == ReservationStatus.CANCELLED
    assert services.performance_with_seat_counts(performance.pk).available_seats == 2


def test_an_offer_to_a_place_that_left_the_list_before_it_went_out_is_withdrawn(
    performance, booked
):
    place, joined = join(performance)
    services.confirm(link_token(joined))
    services.cancel(booked.reservation.pk)  # the offer is queued, not sent
    services.cancel(place.pk)  # and the place leaves the list
    mail.outbox.clear()

    send_queued_emails()

    assert sent_to(WAITING) == []
    offer = BookingEmail.objects.get(reservation=place, kind=EmailKind.OFFER)
    assert offer.status == EmailStatus.WITHDRAWN
    assert Reservation.objects.get(pk=place.pk).status == ReservationStatus.CANCELLED
