"""Reminders: one email per confirmed booking the day before, with the ticket and a way out."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from booking import services
from booking.models import BookingEmail, EmailKind, EmailStatus, Performance, Reservation
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.booking.mailbox import link_token, send_queued_emails

DAY = datetime.timedelta(days=1)


@pytest.fixture
def performance(home_page):
    # Three days ahead: bookings confirmed now are confirmed before the reminder window.
    return make_performance(days_from_now=3, venue_access_notes="Step-free entrance on the left.")


def the_day_before(performance):
    """A moment inside the reminder window of the performance (it starts in 20 hours)."""
    return performance.starts_at - datetime.timedelta(hours=20)


def reminders():
    return [message for message in mail.outbox if message.subject.startswith("See you soon")]


def test_the_reminder_carries_the_ticket_the_venue_and_a_way_to_cancel(client, performance):
    booked = book_and_confirm(performance, seats=2, name="Ada Lovelace")
    ticket_link = link_token(mail.outbox[-1])

    assert services.queue_reminders(now=the_day_before(performance)) == 1
    send_queued_emails()

    [reminder] = reminders()
    assert reminder.to == [booked.reservation.email]
    html = BeautifulSoup(reminder.alternatives[0][0], "html.parser")
    assert "Step-free entrance on the left." in html.get_text()
    assert booked.reservation.reference in html.get_text()
    assert html.find("img", src="cid:ticket-qr") is not None
    assert [part.get_content_type() for part in reminder.attachments] == ["image/png"]
    # The ticket email's link and the reminder's are one link: both keep working.
    assert link_token(reminder) == ticket_link
    ticket = client.get(f"/b/{ticket_link}/", follow=True)
    assert "ticket" in ticket.templates[0].name
    cancel_url = html.find("a", string="Cancel and free your seats for someone else")["href"]
    assert cancel_url.endswith(f"/b/{ticket_link}/cancel/")
    asked = client.get(cancel_url.removeprefix("http://testserver"), follow=True)
    assert asked.templates[0].name == "booking/cancel.html"
    assert Reservation.objects.get().status == "confirmed"  # asking is not cancelling


def test_each_booking_is_reminded_once_however_often_the_job_runs(performance):
    book_and_confirm(performance)
    book_and_confirm(performance)
    when = the_day_before(performance)

    assert services.queue_reminders(now=when) == 2
    assert services.queue_reminders(now=when) == 0
    assert services.queue_reminders(now=when + datetime.timedelta(hours=1)) == 0
    send_queued_emails()
    assert len(reminders()) == 2
    assert BookingEmail.objects.filter(kind=EmailKind.REMINDER).count() == 2


def test_no_reminder_before_the_window_or_for_what_will_not_happen(performance):
    kept = book_and_confirm(performance)
    cancelled = book_and_confirm(performance)
    services.cancel(cancelled.reservation.pk)
    book(performance)  # pending: nothing to remind of
    other = make_performance(performance.show, days_from_now=3)
    book_and_confirm(other)
    services.cancel_performance(other.pk, cancel_reservations=False)

    assert services.queue_reminders(now=performance.starts_at - 2 * DAY) == 0
    assert services.queue_reminders(now=the_day_before(performance)) == 1
    assert Reservation.objects.get(reminder_queued_at__isnull=False) == kept.reservation


def test_a_booking_confirmed_inside_the_window_gets_no_reminder(home_page):
    tomorrow = make_performance(days_from_now=0.5)
    book_and_confirm(tomorrow)  # its ticket has just arrived
    assert services.queue_reminders() == 0


def test_a_reminder_is_withdrawn_when_the_booking_is_cancelled_before_it_leaves(performance):
    booked = book_and_confirm(performance)
    services.queue_reminders(now=the_day_before(performance))
    services.cancel(booked.reservation.pk)
    send_queued_emails()

    assert reminders() == []
    reminder = BookingEmail.objects.get(kind=EmailKind.REMINDER)
    assert reminder.status == EmailStatus.WITHDRAWN


@override_settings(BOOKING_REMINDER_HOURS=72)
def test_the_window_is_a_setting(performance):
    book_and_confirm(performance)
    # Confirmed now, three days ahead: inside a 72-hour window from the start, so none.
    assert services.queue_reminders(now=timezone.now() + datetime.timedelta(hours=1)) == 0


def test_the_command_queues_and_reports(performance, capsys, monkeypatch):
    book_and_confirm(performance)
    monkeypatch.setattr(timezone, "now", lambda: the_day_before(performance))
    call_command("queue_reminders")
    assert capsys.readouterr().out == "Queued 1 reminder(s).\n"


def test_the_box_office_sees_how_many_reminders_went_out(client, performance):
    from tests.staff import staff

    for _ in range(3):
        book_and_confirm(performance)
    services.queue_reminders(now=the_day_before(performance))
    send_queued_emails()

    assert Performance.objects.with_reminders_sent().get().reminders_sent == 3
    client.force_login(staff("Box office"))
    page = BeautifulSoup(client.get("/admin/snippets/booking/performance/").content, "html.parser")
    headings = [th.get_text(strip=True) for th in page.select("thead th")]
    cells = [td.get_text(strip=True) for td in page.select("tbody tr td")]
    assert cells[headings.index("Reminders sent")] == "3"
