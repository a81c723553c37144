"""On a phone, end to end: a sold-out night's waiting list, the offer, the ticket, and the
reminder the day before; in English and Italian, with screenshots kept in var/test-artifacts.
"""

import datetime
import re

import pytest
from django.core import mail

from booking import services
from booking.models import Reservation, ReservationStatus
from tests.booking.factories import book_and_confirm, make_performance
from tests.booking.mailbox import send_queued_emails
from tests.browser.conftest import ARTIFACTS
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://\S+?(/b/[A-Za-z0-9_-]{43}/)")
WORDS = {
    "en": {
        "in_line": "You are on the waiting list",
        "offer": "Seats are free for you",
        "confirm": "Confirm booking",
        "join": "Join the waiting list",
    },
    "it": {
        "in_line": "Sei in lista d'attesa",
        "offer": "Ci sono posti per te",
        "confirm": "Conferma la prenotazione",
        "join": "Mettiti in lista d'attesa",
    },
}


def keep(phone, name, language):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=ARTIFACTS / f"waiting-list-{language}-{name}.png", full_page=True)


def follow(phone, live_server, message):
    """Open the booker's link in an email, as the phone's mail app would."""
    phone.goto(live_server.url + LINK.search(message.body).group(1))


@pytest.mark.parametrize("language", ["en", "it"])
def test_join_the_line_take_the_offer_and_get_the_reminder(live_server, phone, settings, language):
    settings.LANGUAGE_CODE = language
    words = WORDS[language]
    show = make_show(make_show_index(ensure_home_page()), title="The Tempest")
    performance = make_performance(show, venue_capacity=2, days_from_now=3)
    taken = book_and_confirm(performance, seats=2)

    # The show page offers the waiting list instead of the sold-out seats.
    phone.goto(live_server.url + show.url)
    assert phone.evaluate("document.querySelector('#waiting-list details').open")
    phone.fill("#id_waitlist-name", "Grace Hopper")
    phone.fill("#id_waitlist-email", "grace@example.org")
    phone.fill("#id_waitlist-seats", "2")
    phone.check("#id_waitlist-privacy_acknowledged")
    phone.locator("#waiting-list").screenshot(path=ARTIFACTS / f"waiting-list-{language}-join.png")
    phone.click("#waiting-list button[type=submit]")
    phone.wait_for_url("**/booking/check-your-email/**")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # The emailed link confirms the place in line.
    send_queued_emails()
    follow(phone, live_server, mail.outbox[-1])
    phone.get_by_role("button", name=words["join"]).click()
    phone.wait_for_selector(f'h1:has-text("{words["in_line"]}")')
    keep(phone, "in-line", language)

    # A booker cancels: the seats are offered and held for the first in line.
    services.cancel(taken.reservation.pk)
    send_queued_emails()
    offer = mail.outbox[-1]
    assert offer.to == ["grace@example.org"]
    phone.set_content(offer.alternatives[0][0])
    keep(phone, "offer-email", language)
    follow(phone, live_server, offer)
    phone.wait_for_selector(f'h1:has-text("{words["offer"]}")')
    keep(phone, "offer", language)
    phone.get_by_role("button", name=words["confirm"]).click()
    phone.wait_for_selector(".ticket__qr svg")
    place = Reservation.objects.get(email="grace@example.org")
    assert place.status == ReservationStatus.CONFIRMED

    # The day before, one reminder with the ticket and a way out.
    the_day_before = performance.starts_at - datetime.timedelta(hours=20)
    assert services.queue_reminders(now=the_day_before) == 1
    send_queued_emails()
    reminder = mail.outbox[-1]
    html = reminder.alternatives[0][0]
    assert "/cancel/" in html and place.reference in html
    phone.set_content(html)
    keep(phone, "reminder-email", language)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
