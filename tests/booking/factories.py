"""Small builders for venues, performances and reservations."""

import datetime
import itertools

from django.test import TestCase
from django.utils import timezone

from booking import services
from booking.models import Performance, Venue
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


def after_commit():
    """Run on-commit callbacks (the emails) at the end of the block, inside a test transaction."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def book(performance, *, seats=1, name="Ada Lovelace", email=None, **kwargs):
    """A pending reservation through the service; returns the IssuedLink with its raw token."""
    email = email or f"booker{next(_sequence)}@example.org"
    with after_commit():
        return services.request_booking(
            performance.pk, name=name, email=email, seats=seats, **kwargs
        )


def book_and_confirm(performance, **kwargs):
    issued = book(performance, **kwargs)
    with after_commit():
        services.confirm(issued.token)
    issued.reservation.refresh_from_db()
    return issued
