"""The benchmark's fixed data set, created through the booking services; prints it as JSON.

Run inside the stack's environment: python manage.py shell < bench/data.py
"""

import datetime
import json
import os

from django.utils import timezone

from booking import services
from booking.models import Performance, Venue
from booking.tokens import ticket_token
from website.models import ShowIndexPage, ShowPage

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
RUSH_SEATS, RUSH_BOOKERS = 50, 128
DOOR_PARTIES = 160

index = ShowIndexPage.objects.get()
venue = Venue.objects.create(
    name="Bench hall", address="Via del Teatro 1\n00153 Roma", capacity=500
)
soon = timezone.now() + datetime.timedelta(days=2)


def show_with(count, title):
    show = index.add_child(
        instance=ShowPage(
            title=title, slug=title.lower().replace(" ", "-"), opening_date=soon.date()
        )
    )
    show.save_revision().publish()
    for number in range(count):
        Performance.objects.create(
            show=show, venue=venue, starts_at=soon + datetime.timedelta(days=number)
        )
    return show


shows = {count: show_with(count, f"Bench {count}").url for count in (1, 10, 20)}

rush = []
for round_number in range(ROUNDS):
    rush_venue = Venue.objects.create(
        name=f"Rush hall {round_number}", address="Via del Teatro 2", capacity=RUSH_SEATS
    )
    performance = Performance.objects.create(
        show=ShowPage.objects.get(title="Bench 1"),
        venue=rush_venue,
        starts_at=soon,
        max_seats_per_booking=1,
    )
    tokens = [
        services.request_booking(
            performance.pk, name=f"Booker {n}", email=f"rush{round_number}-{n}@example.org", seats=1
        ).token
        for n in range(RUSH_BOOKERS)
    ]
    rush.append({"performance": performance.pk, "seats": RUSH_SEATS, "tokens": tokens})

door = []
tonight = timezone.now() + datetime.timedelta(hours=2)
for round_number in range(ROUNDS):
    performance = Performance.objects.create(
        show=ShowPage.objects.get(title="Bench 1"), venue=venue, starts_at=tonight
    )
    codes = []
    for n in range(DOOR_PARTIES):
        issued = services.request_booking(
            performance.pk, name=f"Guest {n}", email=f"door{round_number}-{n}@example.org", seats=2
        )
        reservation = services.confirm(issued.token).reservation
        codes.append(ticket_token(reservation.ticket_nonce))
    door.append({"performance": performance.pk, "codes": codes})

print("BENCH-DATA " + json.dumps({"shows": shows, "rush": rush, "door": door}))
