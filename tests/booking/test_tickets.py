"""QR codes and emails: what the booker receives, and what the codes contain."""

import io
import re

import pytest
import zxingcpp
from django.core import mail
from icalendar import Calendar
from PIL import Image

from booking import tickets
from booking.tokens import ticket_token, token_hash
from tests.booking.factories import book, book_and_confirm, make_performance

pytestmark = pytest.mark.django_db

PERSONAL = ("Ada", "Lovelace", "ada@example.org")


@pytest.fixture
def confirmed(home_page):
    performance = make_performance(venue_capacity=20)
    return book_and_confirm(performance, seats=2, name="Ada Lovelace", email="ada@example.org")


def decode(png_bytes):
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png_bytes)))
    assert len(results) == 1
    return results[0].text


def test_the_qr_code_decodes_to_an_opaque_door_url_without_personal_data(confirmed):
    reservation = confirmed.reservation
    url = decode(tickets.qr_png(reservation))

    match = re.fullmatch(r"http://127\.0\.0\.1:8000/t/([A-Za-z0-9_-]{43})/", url)
    assert match, url
    assert token_hash(match.group(1)) == reservation.ticket_token_hash
    for text in (*PERSONAL, reservation.reference, confirmed.token):
        assert text not in url


def test_the_confirmation_email_has_text_and_html_with_the_link(home_page):
    performance = make_performance()
    issued = book(performance, name="Ada Lovelace", email="ada@example.org")
    message = mail.outbox[0]

    assert message.to == ["ada@example.org"]
    assert message.subject == f"Confirm your booking for {performance.show.title}"
    link = f"http://127.0.0.1:8000/b/{issued.token}/"
    assert link in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    assert "&amp;" not in message.body


def test_the_ticket_email_carries_the_qr_inline_and_the_calendar_file(confirmed):
    message = mail.outbox[-1]
    assert message.subject.startswith("Your ticket for ")
    assert confirmed.reservation.reference in message.body
    html, _ = message.alternatives[0]
    assert 'src="cid:ticket-qr"' in html

    parsed = message.message()
    parts = {part.get_content_type(): part for part in parsed.walk()}
    image = parts["image/png"]
    assert image["Content-ID"] == "<ticket-qr>"
    assert image["Content-Disposition"].startswith("inline")
    assert decode(image.get_payload(decode=True)).startswith("http://127.0.0.1:8000/t/")

    calendar = Calendar.from_ical(parts["text/calendar"].get_payload(decode=True))
    event = calendar.walk("VEVENT")[0]
    performance = confirmed.reservation.performance
    assert str(event["summary"]) == performance.show.title
    assert event.decoded("dtstart") == performance.starts_at.replace(microsecond=0)
    assert "Via del Teatro 12" in str(event["location"])


def test_the_ticket_token_is_keyed_so_the_database_alone_cannot_make_it(confirmed, settings):
    reservation = confirmed.reservation
    assert token_hash(ticket_token(reservation.ticket_nonce)) == reservation.ticket_token_hash
    settings.SECRET_KEY = "another-secret-key-entirely-different-from-the-first"
    assert token_hash(ticket_token(reservation.ticket_nonce)) != reservation.ticket_token_hash
