"""Small builders for venues, performances and reservations."""

import datetime
import itertools
from contextlib import contextmanager
from dataclasses import dataclass

from django.core import mail
from django.utils import timezone

from booking import services
from booking.models import Performance, Reservation, Venue
from tests.booking.mailbox import link_token, send_queued_emails
from tests.website.factories import make_show, make_show_index
from website.models import ShowIndexPage

_sequence = itertools.count(1)


def make_venue(**fields):
    fields.setdefault("name", f"Hall {next(_sequence)}")
    fields.setdefault("address", "Via del Teatro 12\n00153 Roma")
    fields.setdefault("capacity", 50)
    return Venue.objects.create(**fields)


def make_performance(show=None, *, days_from_now=10, **fields):
    if show is None:
        index = ShowIndexPage.objects.first()
        if index is None:
            from website.models import HomePage

            index = make_show_index(HomePage.objects.get())
        show = make_show(index)
    if "venue" not in fields:
        fields["venue"] = make_venue(
            **{
                key.removeprefix("venue_"): fields.pop(key)
                for key in list(fields)
                if key.startswith("venue_")
            }
        )
    fields.setdefault("starts_at", timezone.now() + datetime.timedelta(days=days_from_now))
    return Performance.objects.create(show=show, **fields)


@contextmanager
def after_commit():
    """Run the email worker at the end of the block: what the block queued is then sent."""
    yield
    send_queued_emails()


@dataclass
class Booked:
    """A reservation, and the link token of the email sent for it, if one was."""

    reservation: Reservation
    token: str | None


def book(performance, *, seats=1, name="Ada Lovelace", email=None, **kwargs):
    """A pending reservation through the service, its confirmation link sent by the worker."""
    email = email or f"booker{next(_sequence)}@example.org"
    already_sent = len(mail.outbox)
    reservation = services.request_booking(
        performance.pk, name=name, email=email, seats=seats, **kwargs
    )
    send_queued_emails()
    reservation.refresh_from_db()
    sent = mail.outbox[already_sent:]
    return Booked(reservation, link_token(sent[-1]) if sent else None)


def book_and_confirm(performance, **kwargs):
    booked = book(performance, **kwargs)
    services.confirm(booked.token)
    send_queued_emails()
    booked.reservation.refresh_from_db()
    return booked
