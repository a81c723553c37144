"""When the email cannot be sent, the booking stays and the visitor is told what to do."""

import smtplib
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse

from booking.models import Reservation
from tests.booking.factories import make_performance
from tests.website.factories import ensure_home_page, make_show, make_show_index

# Real commits, so that the email is tried within the request, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def performance():
    return make_performance(make_show(make_show_index(ensure_home_page())))


def post_booking(client, performance):
    return client.post(
        reverse("booking:book", args=[performance.show.pk]),
        {
            "performance": performance.pk,
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "seats": 1,
            "privacy_acknowledged": "on",
        },
        follow=True,
    )


def test_a_failed_email_keeps_the_booking_and_offers_a_new_link(client, performance, caplog):
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("gone"),
    ):
        response = post_booking(client, performance)

    assert Reservation.objects.count() == 1
    page = BeautifulSoup(response.content, "html.parser")
    assert page.find("h1").get_text(strip=True) == "We could not send the email"
    assert page.find("button", string="Send me a new link")
    assert "ada@example.org" not in caplog.text
    assert "Could not send the confirmation_link email" in caplog.text

    response = client.post("/booking/check-your-email/resend/", follow=True)
    page = BeautifulSoup(response.content, "html.parser")
    assert page.find("h1").get_text(strip=True) == "Check your email"
    assert "We have sent you a new link" in page.find(class_="messages").get_text()
    assert len(mail.outbox) == 1


def test_resending_stops_at_the_limit(client, performance, settings):
    settings.BOOKING_MAX_LINKS_SENT = 2
    post_booking(client, performance)
    client.post("/booking/check-your-email/resend/")
    response = client.post("/booking/check-your-email/resend/", follow=True)
    page = BeautifulSoup(response.content, "html.parser")
    assert "already sent this link several times" in page.find(class_="messages").get_text()
    assert page.find("button", string="Send me a new link") is None
    assert len(mail.outbox) == 2


def test_a_failed_ticket_email_is_reported_on_the_ticket_page(client, performance):
    post_booking(client, performance)
    token = mail.outbox[0].body.split("/b/")[1].split("/")[0]
    client.get(f"/b/{token}/")
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("gone"),
    ):
        response = client.post("/booking/reservation/confirm/", follow=True)
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one(".ticket__qr svg") is not None
    assert "We could not email your ticket" in page.find(class_="messages").get_text()
