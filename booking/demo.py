"""Venues and performances for the demo shows, added when `manage.py load_demo` has run.

The data is in demo_data/performances.toml beside this module. BookingConfig.ready() connects
`add_demo_performances` to website's `demo_content_loaded` signal, so website, which sends
it, imports nothing of booking.
"""

import tomllib
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from booking.models import Performance, Venue

DATA_FILE = Path(__file__).resolve().parent / "demo_data" / "performances.toml"


def add_demo_performances(sender, shows, today, **kwargs):
    """Receiver of demo_content_loaded: the venues, and the first evenings of every show
    still running, refreshed in place; returns the count for load_demo's summary."""
    data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    plan = data["performances"]
    venues = {spec["name"]: demo_venue(spec) for spec in data["venues"]}
    performances = []
    for slug, show in shows.items():
        if show.last_day < today:
            continue
        venue = venues[plan["venue_of_show"].get(slug, plan["venue"])]
        performances += show_performances(show, venue, evenings(show, today, plan), plan)
    return f"{len(performances)} performances"


def demo_venue(spec):
    """The venue named in spec, created or updated."""
    return Venue.objects.update_or_create(
        name=spec["name"],
        defaults={key: value for key, value in spec.items() if key != "name"},
    )[0]


def evenings(show, today, plan):
    """When the show's next evenings start: the first days of its run from tomorrow on."""
    tomorrow = today + timedelta(days=1)
    run_length = (show.last_day - show.opening_date).days + 1
    run = (show.opening_date + timedelta(days=offset) for offset in range(run_length))
    days = [day for day in run if day >= tomorrow][: plan["evenings_per_show"]]
    return [timezone.make_aware(datetime.combine(day, start_time(day, plan))) for day in days]


def start_time(day, plan):
    return plan["starts_at_on_sundays"] if day.weekday() == 6 else plan["starts_at"]


def show_performances(show, venue, starts, plan):
    """The show's performances at these times, created or updated; its other performances
    are deleted, unless someone has booked them."""
    show.performances.exclude(starts_at__in=starts).filter(reservations=None).delete()
    return [
        Performance.objects.update_or_create(
            show=show,
            starts_at=starts_at,
            defaults={
                "venue": venue,
                "manually_occupied_seats": occupied_seats(venue, evening, plan),
                "max_seats_per_booking": plan["max_seats_per_booking"],
            },
        )[0]
        for evening, starts_at in enumerate(starts, start=1)
    ]


def occupied_seats(venue, evening, plan):
    """Seats marked as taken on the run's nth evening: all but the seats the plan leaves
    free that evening, or none if the plan does not name it."""
    seats_left = plan["seats_left_on_evening"].get(str(evening))
    return 0 if seats_left is None else venue.capacity - seats_left
