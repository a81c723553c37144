"""Wheelchair spaces: counted on their own, booked with companion seats, shown where needed."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse

from booking import services
from booking.models import Performance, Reservation
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.booking.mailbox import link_token, send_queued_emails

pytestmark = pytest.mark.django_db


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=10, venue_wheelchair_spaces=1)


def counts(performance):
    return Performance.objects.with_seat_counts().get(pk=performance.pk)


def test_a_performance_uses_the_venues_spaces_unless_it_sets_its_own(performance):
    assert counts(performance).wheelchair_capacity == 1
    Performance.objects.filter(pk=performance.pk).update(wheelchair_spaces=3)
    assert counts(performance).available_wheelchair_spaces == 3


def test_wheelchair_spaces_sell_out_on_their_own(performance):
    book_and_confirm(performance, seats=1, wheelchair_spaces=1)
    counted = counts(performance)
    assert (counted.available_wheelchair_spaces, counted.available_seats) == (0, 9)

    with pytest.raises(services.NoWheelchairSpace):
        services.request_booking(
            performance.pk, name="Ada", email="ada@example.org", seats=1, wheelchair_spaces=1
        )
    # Seats are still for sale, and the performance is not sold out.
    assert book(performance, seats=2).reservation.status == "pending"
    assert counts(performance).booking_state == "open"


def test_a_confirmation_recounts_the_wheelchair_spaces(performance):
    first = book(performance, seats=1, wheelchair_spaces=1)
    second = book(performance, seats=1, wheelchair_spaces=1)
    services.confirm(first.token)
    with pytest.raises(services.SoldOut):
        services.confirm(second.token)
    assert counts(performance).confirmed_wheelchair_spaces == 1


def test_the_booking_form_asks_and_the_ticket_and_email_show_it(client, performance):
    page = BeautifulSoup(client.get(performance.show.url).content, "html.parser")
    assert page.find(id="id_wheelchair_space") is not None
    assert "1 wheelchair space left" in page.find(class_="performance__access").get_text()

    response = client.post(
        reverse("booking:book", args=[performance.show_id]),
        {
            "performance": performance.pk,
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "seats": "1",
            "wheelchair_space": "on",
            "privacy_acknowledged": "on",
        },
    )
    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert reservation.wheelchair_spaces == 1
    send_queued_emails()
    assert "Wheelchair space" in mail.outbox[-1].body
    services.confirm(link_token(mail.outbox[-1]))
    send_queued_emails()
    assert "Wheelchair space" in mail.outbox[-1].body  # the ticket email
    client.get(f"/b/{link_token(mail.outbox[-1])}/")
    ticket = BeautifulSoup(client.get("/booking/reservation/").content, "html.parser")
    assert "Wheelchair space" in ticket.get_text()


def test_no_space_left_is_said_next_to_the_field(client, performance):
    book_and_confirm(performance, seats=1, wheelchair_spaces=1)
    response = client.post(
        reverse("booking:book", args=[performance.show_id]),
        {
            "performance": performance.pk,
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "seats": "1",
            "wheelchair_space": "on",
            "privacy_acknowledged": "on",
        },
    )
    page = BeautifulSoup(response.content, "html.parser")
    error = page.find(id="id_wheelchair_space-error")
    assert "no wheelchair space is left" in error.get_text()
    assert not Reservation.objects.filter(email="ada@example.org").exists()


def test_the_door_preview_says_the_party_has_a_wheelchair_space(performance):
    from booking.tokens import ticket_token
    from checkin import services as door

    booked = book_and_confirm(performance, seats=2, wheelchair_spaces=1)
    check = door.preview(performance, code=ticket_token(booked.reservation.ticket_nonce))
    assert "wheelchair space" in check.message


def test_the_waiting_list_offers_a_wheelchair_space_only_when_one_is_free(performance):
    for _ in range(3):
        book_and_confirm(performance, seats=3)
    holder = book_and_confirm(performance, seats=1, wheelchair_spaces=1)
    place = services.join_waiting_list(
        performance.pk, name="Grace", email="grace@example.org", seats=1, wheelchair_spaces=1
    )
    send_queued_emails()
    services.confirm(link_token(mail.outbox[-1]))
    services.cancel(holder.reservation.pk)
    place.refresh_from_db()
    assert place.status == "offered"
    assert counts(performance).held_wheelchair_spaces == 1
