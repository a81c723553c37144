"""Venues, performances and bookings for the demo shows, added when `manage.py load_demo` has run.

The data is in demo_data/performances.toml beside this module. BookingConfig.ready() connects
`add_demo_performances` to website's `demo_content_loaded` signal, so website, which sends
it, imports nothing of booking. Every evening gets bookings from the demo's audience; tonight's
first parties are checked in, and the first show's sold-out evening gets a waiting list.

The rows are written as the services leave them (a reference, a ticket nonce, the ticket's
token hash once confirmed), but no email is queued: the bookers are invented.
"""

import itertools
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from booking import services
from booking.models import (
    WAITING_LIST_STATUSES,
    Performance,
    Reservation,
    ReservationStatus,
    Venue,
)
from booking.tokens import new_nonce, ticket_token, token_hash

DATA_FILE = Path(__file__).resolve().parent / "demo_data" / "performances.toml"


def add_demo_performances(sender, shows, today, **kwargs):
    """Receiver of demo_content_loaded: the venues, tonight's performance and the first
    evenings of every show still running, refreshed in place, with their bookings and a
    waiting list on the first sold-out evening; returns the counts for load_demo's summary."""
    data = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    plan = data["performances"]
    venues = {spec["name"]: demo_venue(spec) for spec in data["venues"]}
    audience = itertools.cycle(data["audience"]["parties"])
    audience_emails = [party["email"] for party in data["audience"]["parties"]]
    demo_emails = audience_emails + [place["email"] for place in plan.get("waiting_list", [])]
    tonight = next((slug for slug, show in shows.items() if runs_on(show, today)), None)
    performances = []
    sold_out = []
    for slug, show in shows.items():
        if show.last_day < today:
            continue
        venue = venues[plan["venue_of_show"].get(slug, plan["venue"])]
        starts = evenings(show, today, plan, tonight=slug == tonight)
        remove_stale_performances(show, starts.values(), demo_emails)
        for evening, starts_at in starts.items():
            performance = demo_performance(show, venue, starts_at, plan)
            book(performance, evening, audience, audience_emails, plan["bookings"])
            seats_left = plan["seats_left_on_evening"].get(str(evening))
            leave_seats(performance, seats_left)
            performances.append(performance)
            if seats_left == 0:
                sold_out.append(performance)
    confirmed = Reservation.objects.filter(
        performance__in=performances, status=ReservationStatus.CONFIRMED
    )
    summary = (
        f"{len(performances)} performances, {confirmed.count()} confirmed bookings, "
        f"{confirmed.filter(checked_in_at__isnull=False).count()} checked in"
    )
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


def runs_on(show, day):
    return show.opening_date <= day <= show.last_day


def evenings(show, today, plan, tonight=False):
    """When the show's evenings start, by their number: the first days of its run from
    tomorrow on (1 = the first of them), and tonight (0) if asked."""
    tomorrow = today + timedelta(days=1)
    run_length = (show.last_day - show.opening_date).days + 1
    run = (show.opening_date + timedelta(days=offset) for offset in range(run_length))
    days = [day for day in run if day >= tomorrow][: plan["evenings_per_show"]]
    times = {number: (day, start_time(day, plan)) for number, day in enumerate(days, start=1)}
    if tonight:
        times[0] = (today, plan["starts_at_tonight"])
    return {
        number: timezone.make_aware(datetime.combine(day, time))
        for number, (day, time) in sorted(times.items())
    }


def start_time(day, plan):
    return plan["starts_at_on_sundays"] if day.weekday() == 6 else plan["starts_at"]


def remove_stale_performances(show, starts, demo_emails):
    """Delete the show's performances at other times, left by the demo of an earlier day,
    with the demo's bookings on them; one that anyone else booked or asked about stays."""
    stale = show.performances.exclude(starts_at__in=starts)
    Reservation.objects.filter(performance__in=stale, email__in=demo_emails).delete()
    stale.filter(reservations=None, group_requests=None).delete()


def demo_performance(show, venue, starts_at, plan):
    """The show's performance at this time, created or updated, with every seat of the room:
    `leave_seats` marks seats as taken once the evening's bookings are in."""
    return Performance.objects.update_or_create(
        show=show,
        starts_at=starts_at,
        defaults={
            "venue": venue,
            "manually_occupied_seats": 0,
            "max_seats_per_booking": plan["max_seats_per_booking"],
        },
    )[0]


def book(performance, evening, audience, audience_emails, plan):
    """The evening's bookings, from the next parties of the audience, each found by its
    address on the next run: a second run adds nothing, and keeps what the box office or the
    door did to them."""
    count = plan["parties_on_evening"].get(str(evening), plan["parties"])
    parties = list(itertools.islice(audience, count))
    # The demo of an earlier day gave this evening another number, and so other parties.
    performance.reservations.filter(email__in=audience_emails).exclude(
        email__in=[party["email"] for party in parties]
    ).delete()
    now = timezone.now()
    checked_in = plan["checked_in_on_evening"].get(str(evening), 0)
    door_staff = first_of_group(plan["checked_in_by_group"]) if checked_in else None
    # Arrivals end at the start, or now if the performance is still to begin.
    last_arrival = min(now, performance.starts_at)
    for number, party in enumerate(parties):
        if performance.reservations.filter(email__iexact=party["email"]).exists():
            continue
        booked = now - timedelta(hours=plan["hours_apart"] * (len(parties) - number))
        reservation = Reservation(
            performance=performance,
            reference=services.new_reference(),
            ticket_nonce=new_nonce(),
            name=party["name"],
            email=party["email"],
            seats=party["seats"],
            wheelchair_spaces=party.get("wheelchair_spaces", 0),
            status=ReservationStatus.CONFIRMED,
            created_at=booked,
            link_expires_at=services.link_deadline(performance, booked),
        )
        # Pending bookings hold no seat, but the booking form takes none that would not fit.
        if not services.fits(reservation, services.performance_with_seat_counts(performance.pk)):
            continue
        last = number == len(parties) - 1
        if last and evening in plan["pending_on_evenings"]:
            reservation.status = ReservationStatus.PENDING
        else:
            # As `services.confirm` leaves it: the door finds the ticket by this hash.
            reservation.confirmed_at = booked + timedelta(minutes=4)
            reservation.ticket_token_hash = token_hash(ticket_token(reservation.ticket_nonce))
            if last and evening in plan["cancelled_on_evenings"]:
                reservation.status = ReservationStatus.CANCELLED
                reservation.cancelled_at = now
            elif number < checked_in:
                reservation.checked_in_at = last_arrival - timedelta(
                    minutes=plan["minutes_apart"] * (checked_in - number)
                )
                reservation.checked_in_by = door_staff
                reservation.checked_in_door = plan["checked_in_door"]
        reservation.save()


def first_of_group(name):
    """The group's first user, or None: load_demo creates one per staff group."""
    return get_user_model().objects.filter(groups__name=name).order_by("pk").first()


def leave_seats(performance, seats_left):
    """Mark as taken the seats the bookings left free but the plan does not, on an evening
    the plan names: so a sold-out evening is exactly full, and none is ever over."""
    if seats_left is None:
        return
    counted = services.performance_with_seat_counts(performance.pk)
    free = counted.capacity - counted.confirmed_seats - counted.held_seats
    performance.manually_occupied_seats = max(0, free - seats_left)
    performance.save(update_fields=["manually_occupied_seats"])


def waiting_list(performance, places):
    """The places in line of a sold-out evening, each found by its address on the next run.

    Written as they are once their link has been used (status WAITING), as if each had joined
    `joined_hours_ago`: no email is queued, and their links were never sent.
    """
    # The demo of an earlier day put the line on an evening that is no longer sold out.
    Reservation.objects.filter(
        email__in=[spec["email"] for spec in places], status__in=WAITING_LIST_STATUSES
    ).exclude(performance=performance).delete()
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
