"""A visitor books on a phone, confirms from the email, gets a scannable ticket and cancels."""

import io
import re

import pytest
import zxingcpp
from django.core import mail
from PIL import Image

from booking.models import Performance, Reservation, ReservationStatus
from booking.tokens import token_hash
from tests.booking.factories import make_performance
from tests.booking.mailbox import send_queued_emails
from tests.browser.visitor import book_on_a_phone
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)


def test_book_confirm_ticket_and_cancel_on_a_phone(live_server, phone):
    show = make_show(make_show_index(ensure_home_page()), title="The Tempest")
    performance = make_performance(show, venue_capacity=30)

    book_on_a_phone(phone, live_server, show, performance, seats=2)
    assert phone.locator("h1").inner_text() == "Check your email"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    send_queued_emails()  # the email worker's turn
    link = re.search(r"http://\S+/b/[A-Za-z0-9_-]{43}/", mail.outbox[0].body).group()
    phone.goto(live_server.url + link[link.index("/b/") :])
    assert phone.url.endswith("/booking/reservation/")
    phone.click("button:has-text('Confirm booking')")
    phone.wait_for_selector(".ticket__qr svg")
    assert Reservation.objects.get().status == ReservationStatus.CONFIRMED

    screenshot = phone.locator(".ticket__qr").screenshot()
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(screenshot)))
    assert len(codes) == 1
    door_token = codes[0].text.rstrip("/").rsplit("/", 1)[1]
    assert token_hash(door_token) == Reservation.objects.get().ticket_token_hash

    phone.click("a:has-text('Cancel booking')")
    phone.click("button:has-text('Yes, cancel my booking')")
    phone.wait_for_selector("text=This booking has been cancelled.")
    assert Reservation.objects.get().status == ReservationStatus.CANCELLED
    assert Performance.objects.with_seat_counts().get().available_seats == 30
