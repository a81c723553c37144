"""Venues and performances for the demo shows, added when `manage.py load_demo` has run.

The data is in demo_data/performances.toml beside this module. BookingConfig.ready() connects
`add_demo_performances` to website's `demo_content_loaded` signal, so website, which sends
it, imports nothing of booking. The first show's sold-out evening gets a waiting list.
"""

import tomllib
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from booking import services
from booking.models import Performance, Reservation, ReservationStatus, Venue
from booking.tokens import new_nonce

DATA_FILE = Path(__file__).resolve().parent / "demo_data" / "performances.toml"


def add_demo_performances(sender, shows, today, **kwargs):
    """Receiver of demo_content_loaded: the venues, and the first evenings of every show
    still running, refreshed in place, with a waiting list on the first sold-out evening;
    returns the counts for load_demo's summary."""
    data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    plan = data["performances"]
    venues = {spec["name"]: demo_venue(spec) for spec in data["venues"]}
    performances = []
    sold_out = []
    for slug, show in shows.items():
        if show.last_day < today:
            continue
        venue = venues[plan["venue_of_show"].get(slug, plan["venue"])]
        added = show_performances(show, venue, evenings(show, today, plan), plan)
        performances += added
        sold_out += [
            performance
            for evening, performance in enumerate(added, start=1)
            if plan["seats_left_on_evening"].get(str(evening)) == 0
        ]
    summary = f"{len(performances)} performances"
    if sold_out and plan.get("waiting_list"):
        places = waiting_list(sold_out[0], plan["waiting_list"])
        summary += f", {len(places)} on a waiting list"
    return summary


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


def waiting_list(performance, places):
    """The places in line of a sold-out evening, each found by its address on the next run.

    Written as they are once their link has been used (status WAITING), as if each had joined
    `joined_hours_ago`: no email is queued, and their links were never sent.
    """
    now = timezone.now()
    line = []
    for spec in places:
        place = Reservation.objects.filter(
            performance=performance, email__iexact=spec["email"]
        ).first()
        if place is None:
            joined = now - timedelta(hours=spec["joined_hours_ago"])
            place = Reservation.objects.create(
                performance=performance,
                reference=services.new_reference(),
                ticket_nonce=new_nonce(),
                name=spec["name"],
                email=spec["email"],
                seats=spec["seats"],
                status=ReservationStatus.WAITING,
                created_at=joined,
                link_expires_at=services.link_deadline(performance, joined),
                waiting_since=joined,
            )
        line.append(place)
    return line
