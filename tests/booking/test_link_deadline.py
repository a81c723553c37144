"""A confirmation link never promises more time than online booking has left."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.utils import timezone

from booking import services
from booking.models import Performance
from tests.booking.factories import book, make_performance

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon(home_page):
    """A performance in 3 hours whose online booking closes 1 hour before it starts."""
    return make_performance(
        starts_at=timezone.now() + datetime.timedelta(hours=3), booking_cutoff_minutes=60
    )


def test_the_link_expires_when_online_booking_closes_if_that_comes_first(client, soon):
    booked = book(soon)
    assert booked.reservation.link_expires_at == soon.booking_closes_at
    assert booked.reservation.link_expires_at_booking_cutoff
    assert "Online booking for this performance closes on" in mail.outbox[0].body

    client.get(f"/b/{booked.token}/")
    page = BeautifulSoup(client.get("/booking/reservation/").content, "html.parser")
    assert "when online booking for this performance closes" in page.find("main").get_text()


def test_a_link_sent_long_before_the_performance_keeps_its_usual_validity(client, home_page):
    performance = make_performance(days_from_now=10)
    booked = book(performance)
    validity = booked.reservation.link_expires_at - booked.reservation.created_at
    assert abs(validity - datetime.timedelta(hours=24)) < datetime.timedelta(minutes=1)
    assert not booked.reservation.link_expires_at_booking_cutoff
    assert "The link is valid until" in mail.outbox[0].body


def test_confirming_within_the_promised_time_succeeds(soon):
    booked = book(soon)
    just_before = booked.reservation.link_expires_at - datetime.timedelta(minutes=1)
    assert services.confirm(booked.token, now=just_before).status == "confirmed"
    assert Performance.objects.with_seat_counts().get().confirmed_seats == 1
