"""The cron jobs: expiring stale pending bookings and erasing old personal data."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from booking.models import Performance, Reservation, ReservationStatus
from tests.booking.factories import book, book_and_confirm, make_performance

pytestmark = pytest.mark.django_db


def test_expire_pending_command_reports_what_it_expired(home_page, capsys):
    performance = make_performance()
    book(performance)
    Reservation.objects.update(link_expires_at=timezone.now() - datetime.timedelta(minutes=1))
    call_command("expire_pending")
    assert capsys.readouterr().out.strip() == "Expired 1 pending reservation(s)."
    assert Reservation.objects.get().status == ReservationStatus.EXPIRED


def test_erase_personal_data_command_erases_only_past_the_given_days(home_page, capsys):
    performance = make_performance()
    book_and_confirm(performance, name="Ada Lovelace", email="ada@example.org")
    Performance.objects.update(starts_at=timezone.now() - datetime.timedelta(days=6))
    call_command("erase_personal_data", "--days", "7")
    assert Reservation.objects.get().email == "ada@example.org"
    Performance.objects.update(starts_at=timezone.now() - datetime.timedelta(days=8))
    call_command("erase_personal_data", "--days", "7")
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Erased the personal data of 1 reservation(s)."
    )
    assert Reservation.objects.get().email == ""
